"""Request hygiene at the edge, before any view sees the request."""

from django.http import HttpResponseBadRequest, JsonResponse


class RejectNulBytesMiddleware:
    """A NUL character in a query string or form can never be stored or searched in PostgreSQL text, and would
    otherwise reach the database as an error (500). It is refused as bad input, in the API's error shape.
    Bodies need no check here: DRF's and Django's form fields already refuse NUL characters."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            message = "The request contains a NUL character."
            if request.path.startswith("/api/"):
                return JsonResponse({"message": message, "code": "invalid", "fields": {}}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
