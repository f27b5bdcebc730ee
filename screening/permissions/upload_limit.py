"""A file upload that stops being read once it passes a size limit: the import's upload and
the bulk PDF upload guard their request with it."""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class UploadLimitHandler(FileUploadHandler):
    """First in the request's upload handlers: counts the bytes of the files as they are read
    and stops reading (the connection is reset, the rest is never read) past `limit`. The view
    then sees `exceeded` and says so, naming the limit and how much had come."""

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int):
        return None  # the next handler builds the file
