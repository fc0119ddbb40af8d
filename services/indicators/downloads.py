"""File downloads of the indicators service: one place builds the response (media type and the
attachment's file name), so the routes only say what to send. Tables of one sheet go through
``results.exports.spreadsheet`` (CSV in UTF-8 with BOM, or XLSX); the files laid out by their
own domain (a framework as JSON/YAML/XLSX, a PDCA sheet, a catalogue with its source sheet)
come here as bytes. Routes declare them with ``services.common.openapi.file_answer``."""

from fastapi.responses import Response

from services.common.exports import attachment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX,
    "json": "application/json",
    "yaml": "application/yaml",
}


def download(body: bytes, *, filename: str, format: str) -> Response:
    """``body`` as an attachment named ``filename.format``."""
    return Response(
        body,
        media_type=MEDIA[format],
        headers=attachment(f"{filename}.{format}"),
    )
