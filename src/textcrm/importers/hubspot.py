"""HubSpot: the built-in mapping for companies, contacts and deals exported from the CRM's
index pages (property labels as headers, `Record ID` as the id, associations by id)."""

from __future__ import annotations

from typing import Any

NAME = "hubspot"

# The default sales pipeline, by label and by internal value, onto the stages of `textcrm init`.
STAGES = {
    "Appointment Scheduled": "prospecting",
    "Qualified To Buy": "qualification",
    "Presentation Scheduled": "proposal",
    "Decision Maker Bought-In": "proposal",
    "Contract Sent": "negotiation",
    "Closed Won": "closed-won",
    "Closed Lost": "closed-lost",
    "appointmentscheduled": "prospecting",
    "qualifiedtobuy": "qualification",
    "presentationscheduled": "proposal",
    "decisionmakerboughtin": "proposal",
    "contractsent": "negotiation",
    "closedwon": "closed-won",
    "closedlost": "closed-lost",
}

MAPPING: dict[str, Any] = {
    "stages": STAGES,
    "opportunities": {
        "detect": ["Record ID", "Deal Stage"],
        "columns": {
            "Record ID": "source_id",
            "Deal Name": "title",
            "Associated Company IDs": "account",
            "Associated Company": "account",
            "Deal owner": "owner",
            "Deal Stage": "stage",
            "Close Date": "close_date",
            "Amount": "amount",
            "Deal probability": "probability",
            "Currency": "currency",
            "Create Date": "created",
            "Next step": "next_step",
            "Deal Type": "tags",
            "Closed Lost Reason": "lost_reason",
        },
        "body": "{Deal Description}",
        "activities": [
            {
                "date": "{Last Activity Date}",
                "type": "note",
                "summary": "Last activity recorded in HubSpot",
            },
        ],
    },
    "contacts": {
        "detect": ["Record ID", "Last Name"],
        "columns": {
            "Record ID": "source_id",
            "Associated Company IDs": "account",
            "Associated Company": "account",
            "Company Name": "account",
            "Job Title": "title",
            "Email": "email",
            "Phone Number": "phone",
        },
        "templates": {"name": "{First Name} {Last Name}"},
    },
    "accounts": {
        "detect": ["Record ID", "Company name"],
        "columns": {
            "Record ID": "source_id",
            "Company name": "name",
            "Industry": "industry",
            "Website URL": "website",
            "Company Domain Name": "website",
            "Phone Number": "phone",
            "Number of Employees": "employees",
        },
        "body": "{Description}",
    },
}
