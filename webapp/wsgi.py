"""WSGI entry point for production: `gunicorn 'webapp.wsgi:app'` (settings from ANJIE_*)."""

from webapp import create_app

app = create_app()
