"""Pages of a list: DRF's page numbers, read strictly."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from facturier.core.converters import row_id


class Pages(PageNumberPagination):
    """`?page=N`, N a whole number from 1. Anything else (empty, "abc", 0, "last") is
    refused with the field named, rather than read as the first page or as a missing
    one; a page past the last is still 404, as DRF has it."""

    last_page_strings = ()

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        if value is None:
            return 1
        if row_id(value) is None:
            raise ValidationError({self.page_query_param: ["A page number from 1."]})
        return value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters
