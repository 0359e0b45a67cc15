"""Pipedrive: the built-in mapping for organizations, people and deals exported as CSV
(`Object - Field` headers; a deal's organization and person are named, won and lost deals are
marked by their status rather than their stage)."""

from __future__ import annotations

from typing import Any

NAME = "pipedrive"

# The default pipeline's stages onto the stages of `textcrm init`; won and lost come from
# `Deal - Status`, which the importer maps to the repository's won or lost stage.
STAGES = {
    "Lead In": "prospecting",
    "Qualified": "prospecting",
    "Contact Made": "qualification",
    "Demo Scheduled": "qualification",
    "Needs Defined": "qualification",
    "Proposal Made": "proposal",
    "Negotiations Started": "negotiation",
}

MAPPING: dict[str, Any] = {
    "stages": STAGES,
    "opportunities": {
        "detect": ["Deal - Title"],
        "columns": {
            "Deal - ID": "source_id",
            "Deal - Title": "title",
            "Deal - Organization": "account",
            "Deal - Contact person": "contact",
            "Deal - Owner": "owner",
            "Deal - Stage": "stage",
            "Deal - Status": "outcome",
            # Closed deals: the actual date first; open ones: the expected one.
            "Deal - Won time": "close_date",
            "Deal - Lost time": "close_date",
            "Deal - Expected close date": "close_date",
            "Deal - Value": "amount",
            "Deal - Currency": "currency",
            "Deal - Probability": "probability",
            "Deal - Deal created": "created",
            "Deal - Next activity date": "follow_up",
            "Deal - Lost reason": "lost_reason",
            "Deal - Label": "tags",
        },
        "activities": [
            {
                "date": "{Deal - Last activity date}",
                "type": "note",
                "summary": "Last activity recorded in Pipedrive",
            },
        ],
    },
    "contacts": {
        "detect": ["Person - Name"],
        "columns": {
            "Person - ID": "source_id",
            "Person - Name": "name",
            "Person - Organization": "account",
            "Person - Job title": "title",
            "Person - Email": "email",
            "Person - Email - Work": "email",
            "Person - Phone": "phone",
            "Person - Phone - Work": "phone",
        },
    },
    "accounts": {
        "detect": ["Organization - Name"],
        "columns": {
            "Organization - ID": "source_id",
            "Organization - Name": "name",
            "Organization - Address": "address",
            "Organization - Website": "website",
            "Organization - Industry": "industry",
            "Organization - Number of employees": "employees",
        },
    },
    "products": {
        "detect": ["Product - Name"],
        "columns": {
            "Product - Product code": "sku",
            "Product - Name": "name",
            "Product - Unit": "unit",
            "Product - Unit price": "unit_price",
            "Product - Description": "description",
        },
    },
}
