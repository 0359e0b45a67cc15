"""Salesforce: the built-in mapping for Account, Contact and Opportunity exports (Data Loader,
Bulk API or Data Export), with API field names as headers and the standard stage picklist."""

from __future__ import annotations

from typing import Any

NAME = "salesforce"

# The default Opportunity stage picklist, onto the stages of `textcrm init`.
STAGES = {
    "Prospecting": "prospecting",
    "Qualification": "qualification",
    "Needs Analysis": "qualification",
    "Value Proposition": "qualification",
    "Id. Decision Makers": "qualification",
    "Perception Analysis": "proposal",
    "Proposal/Price Quote": "proposal",
    "Negotiation/Review": "negotiation",
    "Closed Won": "closed-won",
    "Closed Lost": "closed-lost",
}

MAPPING: dict[str, Any] = {
    "stages": STAGES,
    # Checked in this order: an Opportunity file also has Id and Name.
    "opportunities": {
        "detect": ["Id", "StageName"],
        "columns": {
            "Id": "source_id",
            "Name": "title",
            "AccountId": "account",
            "OwnerId": "owner",
            "StageName": "stage",
            "CloseDate": "close_date",
            "Amount": "amount",
            "Probability": "probability",
            "CurrencyIsoCode": "currency",
            "CreatedDate": "created",
            "NextStep": "next_step",
            "Type": "tags",
        },
        "body": "{Description}",
        "activities": [
            {
                "date": "{LastActivityDate}",
                "type": "note",
                "summary": "Last activity recorded in Salesforce",
            },
        ],
    },
    "contacts": {
        "detect": ["Id", "LastName"],
        "columns": {
            "Id": "source_id",
            "Name": "name",
            "AccountId": "account",
            "Title": "title",
            "Email": "email",
            "Phone": "phone",
        },
        "templates": {"name": "{FirstName} {LastName}"},
        "body": "{Description}",
    },
    "accounts": {
        "detect": ["Id", "Name"],
        "columns": {
            "Id": "source_id",
            "Name": "name",
            "Industry": "industry",
            "Website": "website",
            "Phone": "phone",
            "ParentId": "parent",
            "NumberOfEmployees": "employees",
            "Type": "tags",
        },
        "body": "{Description}",
    },
    "products": {
        "detect": ["Id", "ProductCode"],
        "columns": {"ProductCode": "sku", "Name": "name", "Description": "description"},
    },
}
