"""The company overview: the one-contact-person view a consultant opens before a call,
and the work lists kept in the same tables.

`projection` holds the tables and their event handlers; `company` the statements of a
company's overview; `worklists` those of caseloads, the handover queue and follow-ups
due; `dashboard` those of a municipality's figures.
"""

from projections.overview.projection import TOTALS, OverviewProjection

__all__ = ["TOTALS", "OverviewProjection"]
