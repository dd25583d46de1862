import json

from django.core.paginator import InvalidPage
from django.http import HttpResponse
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def counted_page_response(self, request, fetch) -> HttpResponse | None:
        """The paginated answer for a page whose rows arrive already written as a JSON array, with the exact
        count, from `fetch(offset=, limit=) -> (count, json_array_text)`: the same body as
        get_paginated_response, without decoding and re-encoding the rows. None when the request asks for
        something only the general path answers (a page named "last", a page number that is not one, a page
        past the end), so the caller falls back to it and its errors."""
        page_size = self.get_page_size(request)
        try:
            number = int(request.query_params.get(self.page_query_param) or 1)
        except ValueError:
            return None
        if number < 1 or not page_size:
            return None
        count, rows = fetch(offset=(number - 1) * page_size, limit=page_size)
        paginator = self.django_paginator_class([], page_size)
        paginator.count = count  # the exact count, from the same statement as the rows
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            return None
        self.request = request
        head = json.dumps({"count": count, "next": self.get_next_link(), "previous": self.get_previous_link()},
                          ensure_ascii=False, separators=(",", ":"))
        return HttpResponse(f'{head[:-1]},"results":{rows}}}', content_type="application/json")
