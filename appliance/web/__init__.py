"""Web code shared by the webmail and the admin console: sessions, headers, texts, pages.

Only `webmail` and `admin` import this package. The core's services never do, so the core
stays free of Starlette and Jinja2. The package lives under `appliance` because the two
applications may not import each other.
"""
