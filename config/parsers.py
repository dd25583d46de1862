"""Request body parsing that turns hostile JSON into a 400 instead of a crash."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """JSON nested thousands deep exhausts Python's recursion limit while decoding; that is bad input, not a
    server error, and it must be refused in the error shape before anyone signs in."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.")
