from core.auth import authenticate_request


class JWTAuthenticationMiddleware:
    """Authenticate `Authorization: Bearer <jwt>` or the `JWT` cookie (see core.auth)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        authenticate_request(request)
        return self.get_response(request)
