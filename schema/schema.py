"""The one GraphQL schema: each app's Query and Mutation composed."""
import graphene

import core.schema
import invoice.schema
import payment_module.schema
from core.gql.root_fields import guard_root_fields


class Query(invoice.schema.Query, payment_module.schema.Query, core.schema.Query, graphene.ObjectType):
    pass


class Mutation(invoice.schema.Mutation, payment_module.schema.Mutation, core.schema.Mutation, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
guard_root_fields(schema.graphql_schema)
