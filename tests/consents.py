"""The sign-up form's required consents, ticked (what a POST to the sign-up page must carry)."""

CONSENTS = {"agree_terms": "on", "agree_privacy": "on"}
