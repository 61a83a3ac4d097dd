"""Signed-in pages, by audience: sign-in (auth_pages), the lead's week and item page
(lead_pages), the supervisor desk (supervisor_pages) and the admin pages (admin_pages); form
reading and rendering shared in forms. The app mounts the four controllers named here; the
helpers are re-exported for the page modules that import them from here."""

from closedloop.web.admin_pages import AdminPages
from closedloop.web.auth_pages import AuthPages
from closedloop.web.forms import HOME, LIGHTS, STAGES, actor_of, back, date_field, field_errors, form_of, page
from closedloop.web.lead_pages import LeadPages
from closedloop.web.supervisor_pages import SupervisorPages

__all__ = [
    "AdminPages", "AuthPages", "LeadPages", "SupervisorPages",
    "HOME", "LIGHTS", "STAGES", "actor_of", "back", "date_field", "field_errors", "form_of", "page",
]
