"""Server-rendered pages (Jinja templates) over the same services as the API."""
