"""Domain errors: one base per aggregate, and a kind per error for the API's table."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused; the message says why, for the person who sent it."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """Something the command refers to does not exist."""


class RuleBroken(DomainError):
    """The command conflicts with what has already happened."""


class InvalidValue(DomainError):
    """A value is malformed or outside what the business allows."""


class CompanyError(DomainError):
    """Base for errors of the Company aggregate."""


class StaffError(DomainError):
    """Base for errors of the StaffMember aggregate."""


class InvalidCvrError(CompanyError, InvalidValue):
    """The CVR number is malformed or fails the modulus-11 check."""


class UnknownMunicipalityError(CompanyError, InvalidValue):
    """The municipality code is not one of the 98 municipalities."""


class CompanyNotFoundError(CompanyError, NotFound):
    """No company is registered with this CVR."""


class CompanyAlreadyRegisteredError(CompanyError, RuleBroken):
    """A company with this CVR is registered already."""


class BusinessDateInFutureError(CompanyError, InvalidValue):
    """Work that has happened cannot be dated in the future."""


class ContactPersonNotEligibleError(CompanyError, RuleBroken):
    """The contact person must be active staff of the company's municipality."""


class ContactPersonUnchangedError(CompanyError, RuleBroken):
    """The staff member is the company's contact person already."""


class ContactNotFoundError(CompanyError, NotFound):
    """No logged contact has this id."""


class OpeningNotFoundError(CompanyError, NotFound):
    """No opening has this id."""


class OpeningClosedError(CompanyError, RuleBroken):
    """The opening is closed."""


class ReferralNotFoundError(CompanyError, NotFound):
    """No referral has this id."""


class ReferralAlreadyAnsweredError(CompanyError, RuleBroken):
    """The referral has been answered already."""


class CandidateAlreadyReferredError(CompanyError, RuleBroken):
    """The candidate has an unanswered referral to this opening."""


class PlacementNotFoundError(CompanyError, NotFound):
    """No placement has this id."""


class PlacementAlreadyEndedError(CompanyError, RuleBroken):
    """The placement has ended already."""


class PlacementDateError(CompanyError, InvalidValue):
    """A placement date lies before the placement's start or last change."""


class PlacementKindNotOfferedError(CompanyError, RuleBroken):
    """The opening does not offer this kind of placement."""


class HoursOutOfRangeError(CompanyError, InvalidValue):
    """Hours per week must lie within 1-37."""


class FollowUpNotFoundError(CompanyError, NotFound):
    """No follow-up has this id."""


class FollowUpAlreadyCompletedError(CompanyError, RuleBroken):
    """The follow-up has been completed already."""


class CommitmentNotFoundError(CompanyError, NotFound):
    """No commitment has this id."""


class DuplicateIdError(CompanyError, RuleBroken):
    """An entry with this id exists already."""


class StaffNotFoundError(StaffError, NotFound):
    """No staff member has this id."""


class StaffAlreadyLeftError(StaffError, RuleBroken):
    """The staff member has left and cannot record new work."""


class CandidateError(DomainError):
    """Base for errors of the Candidate aggregate."""


class CandidateNotFoundError(CandidateError, NotFound):
    """No candidate is registered with this id (or it is not visible to the caller)."""


class CandidateErasedError(CandidateError, RuleBroken):
    """The candidate's personal data has been erased."""


class CandidateOnLegalHoldError(CandidateError, RuleBroken):
    """Erasure must wait: an open invoice dispute depends on the candidate."""


class InvalidCprError(CandidateError, InvalidValue):
    """The CPR number is not ten digits naming a real date of birth."""


class ContractError(DomainError):
    """Base for errors of the OutcomeContract aggregate."""


class ContractNotFoundError(ContractError, NotFound):
    """No outcome contract has this id."""


class InvoiceNotFoundError(ContractError, NotFound):
    """No invoice has this id."""


class DisputeNotFoundError(ContractError, NotFound):
    """No dispute of this invoice has this id."""


class NothingToInvoiceError(ContractError, RuleBroken):
    """No claimable milestone and no correction is due for the period."""


class DisputeAlreadyResolvedError(ContractError, RuleBroken):
    """The dispute has been resolved already."""


class ContractPeriodError(ContractError, InvalidValue):
    """A date lies outside what the contract allows."""


class AlreadyInProgrammeError(CompanyError, RuleBroken):
    """A company takes part in one programme at a time."""


class NotInProgrammeError(CompanyError, RuleBroken):
    """The company does not take part in that programme."""


class ProgrammeMunicipalityError(CompanyError, InvalidValue):
    """A programme takes companies of its own municipality only."""


class NotAProgrammeError(ContractError, RuleBroken):
    """The contract counts the whole municipality: it has no participants."""
