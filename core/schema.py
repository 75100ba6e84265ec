import graphene
import graphql_jwt

from core.gql.auth_mutations import GetCsrfTokenMutation, ThrottledObtainJSONWebToken
from core.gql.mutations.change_user_language import ChangeUserLanguageMutation
from core.gql.mutations.create_api_key import CreateApiKeyMutation
from core.gql.mutations.create_calculation_rule import CreateCalculationRuleMutation
from core.gql.mutations.revoke_api_key import RevokeApiKeyMutation
from core.gql.mutations.update_organization import UpdateOrganizationMutation
from core.gql.queries import Query as CoreQuery


class Query(CoreQuery, graphene.ObjectType):
    pass


class Mutation(graphene.ObjectType):
    token_auth = ThrottledObtainJSONWebToken.Field()
    verify_token = graphql_jwt.Verify.Field()
    refresh_token = graphql_jwt.Refresh.Field()
    revoke_token = graphql_jwt.Revoke.Field()
    delete_token_cookie = graphql_jwt.DeleteJSONWebTokenCookie.Field()
    delete_refresh_token_cookie = graphql_jwt.DeleteRefreshTokenCookie.Field()
    get_csrf_token = GetCsrfTokenMutation.Field()
    change_user_language = ChangeUserLanguageMutation.Field()

    update_organization = UpdateOrganizationMutation.Field()
    create_calculation_rule = CreateCalculationRuleMutation.Field()
    create_api_key = CreateApiKeyMutation.Field()
    revoke_api_key = RevokeApiKeyMutation.Field()
