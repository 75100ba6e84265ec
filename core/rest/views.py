"""openIMIS compatibility endpoint: the current user and their integer rights."""
from rest_framework.decorators import api_view
from rest_framework.response import Response

from core.frontend import language_of
from core.permissions import openimis_rights
from core.tenancy import tenant_for_request


@api_view(["GET"])
def current_user(request):
    """GET /api/core/users/current_user/ — what openIMIS front ends read after login."""
    tenant = tenant_for_request(request._request)
    user = tenant.user
    i_user = {
        "id": str(user.pk), "language": language_of(user), "last_name": user.last_name, "other_names": user.first_name,
        "health_facility_id": None, "rights": openimis_rights(tenant.role), "has_password": user.has_usable_password(),
    }
    return Response({"id": str(user.pk), "username": user.username, "i_user": i_user, "t_user": None,
                     "organization": {"id": str(tenant.organization.pk), "code": tenant.organization.code,
                                      "name": tenant.organization.name}, "role": tenant.role})
