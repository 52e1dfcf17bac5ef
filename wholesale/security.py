"""Response headers that every answer carries: the app's pages and its static files alike."""

from flask import Flask

# No inline script or style anywhere: htmx is configured through a <meta> tag with eval off.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def security_headers(production: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        # same-origin, not no-referrer: Flask-WTF checks the Referer of POSTs on HTTPS.
        "Referrer-Policy": "same-origin",
    }
    if production:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def private(response, referrer_policy: str = "strict-origin"):
    """A page whose address holds a token: nothing caches it, and links or posts from it send at most the
    origin as Referer ("no-referrer" would break its forms: Flask-WTF wants a Referer on HTTPS posts)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = referrer_policy
    return response


def register(app: Flask) -> None:
    every_answer = security_headers(app.config["ENV_NAME"] == "production")

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        for name, value in every_answer.items():
            headers.setdefault(name, value)
        return response
