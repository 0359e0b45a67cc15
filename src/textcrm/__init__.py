"""textcrm: a plain-text, git-backed CRM for sales teams who live in editors and terminals."""

__version__ = "0.1.0"
