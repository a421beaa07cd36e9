"""Deterministic checks of a letter record against the letter text.

A check is a pure function `(text, letter) -> list[Issue]`: `text` is the normalised letter
text (extractor.loading), `letter` any record (rules engine, LLM, hand-labelled). Checks never
change the record, do no I/O and call no model. `validate` runs every check in `CHECKS`; one
check can be run by name with `CHECKS_BY_NAME["check_grade_verdict"](text, letter)`.

Severity: "error" when the text proves the record wrong (or a required value is missing);
"warning" when the text cannot settle the question. `status_for` flags a record with any error.

Issue codes (stable; `field` paths use the record's names, e.g. "strengths[2].counts[0].total"):

======================================  ========  ==================================================
code                                    severity  meaning
======================================  ========  ==================================================
missing.grade                           error     grade is null
missing.grade_label                     error     grade_label is null
grade.label_mismatch                    error     grade and grade_label are different scale points
grade.verdict_mismatch                  error     grade or grade_label differs from the verdict line
                                                  (field "grade" or "grade_label")
grade.no_verdict                        warning   the text has no verdict line
grade.summary_mismatch                  error     grade contradicts "Children's services in X
                                                  perform <adverb>"
count.evidence_empty                    error     a count's evidence is blank
count.evidence_not_in_text              error     a count's evidence is not in the letter
count.evidence_not_in_finding           error     ... is in the letter but not in its finding's text
count.count_not_in_evidence             error     count is not a number the evidence states
count.total_not_in_evidence             error     total is not a number the evidence states
count.count_exceeds_total               error     count > total
count.judgement_not_in_evidence         error     judgement does not occur in the evidence
count.count_mismatch                    error     count is not the number the quantity phrase counts
count.total_mismatch                    error     total is not the whole the phrase counts out of
count.total_unstated                    error     total is given where the phrase states no whole
                                                  ("Two of these are good" is 2, total null)
count.judgement_mismatch                error     judgement is not the one the phrase predicates
count.judgement_missing                 error     judgement is null but the phrase states one
count.predicate_of_another_count        error     the evidence's judgement is said of a later number
                                                  (", 12 are good"), not of the count
count.fraction_made_total               error     the evidence follows "half of" / "two thirds of":
                                                  its number is the whole, not the count
count.fraction_unresolved               error     a count is given for a fraction that is not a
                                                  whole number ("half of the 7") or is approximate
                                        warning   (check_counts_recorded, field "strengths[i]") a
                                                  bullet states such a fraction: no count can
                                                  hold it
count.unrecorded                        error     a bullet states a count (LABELLING.md) that no
                                                  count of the record gives: the quantity is not
                                                  inside any count's evidence with that number
                                                  (field "strengths[i]" or
                                                  "areas_for_improvement[i]", i the bullet's place
                                                  in the text)
findings.count_mismatch                 error     number of findings != number of bullets under the
                                                  heading (field "strengths" or
                                                  "areas_for_improvement")
findings.no_bullets                     warning   the heading has nothing under it, yet the list has
                                                  findings
findings.missing                        error     the heading has text under it, the list is empty
findings.unaccounted_text               error     words under the heading that no finding's text
                                                  covers (a bullet, or part of one, left out)
findings.cue_count_mismatch             error     (original text) the number of findings is not the
                                                  number of bullets the conversion's cues show:
                                                  glyphs, numbers, indented first lines, blank lines
findings.bullets_unmarked               error     (original text) several lines under a heading with
                                                  no cue to tell the bullets apart
findings.no_heading                     error     the letter has no such heading, so the list cannot
                                                  be confirmed complete
finding.text_empty                      error     a finding's text is blank
finding.not_in_text                     error     a finding's text is not in the letter
finding.wrong_list                      error     a finding's text is a bullet of the other heading
finding.partial_bullet                  error     a finding's text is only part of a bullet
finding.not_a_bullet                    error     a finding's text is in the letter but not a bullet
finding.out_of_order                    warning   findings are not in the letter's bullet order
finding.duplicate                       error     the same bullet is given twice (either list)
missing.local_authority                 error     local_authority is null or blank
authority.heading_mismatch              error     local_authority is not the heading's authority
authority.not_in_text                   error     (no heading) local_authority is not in the letter
heading.missing                         warning   no "X children's services assessment YYYY" line
missing.recipient / missing.signatory   error     the person is null
recipient.name_not_in_text              error     (and signatory.name_not_in_text)
recipient.role_not_in_text              error     (and signatory.role_not_in_text)
missing.recipient.role                  warning   (and missing.signatory.role) role is null
recipient.salutation_mismatch           error     recipient.name lacks the surname in "Dear Ms X"
recipient.name_mismatch                 error     recipient.name is not the address block's name
                                                  line (title, first name, surname: "Ms Gail
                                                  Quinton"), found by the salutation's surname
recipient.role_mismatch                 error     recipient.role is not the line under that name
signatory.not_after_closing             error     signatory.name is not after "Yours sincerely"
signatory.name_mismatch                 error     signatory.name is not the typed name after
                                                  "Yours sincerely" (an initialled line "J. X" is
                                                  passed over)
signatory.role_mismatch                 error     signatory.role is not the job-title line under it
missing.letter_date                     error     letter_date is null
date.not_in_text                        error     letter_date is not written in the letter as
                                                  "8 November 2011"
date.line_mismatch                      error     letter_date is written in the letter, but the
                                                  date line above the address says another date
date.year_mismatch                      warning   letter_date's year is not the assessment year
missing.assessment_year                 error     assessment_year is null
year.heading_mismatch                   error     assessment_year is not the heading's year
missing.summary                         error     summary is null or blank
summary.not_in_text                     error     summary is not the letter's words
summary.incomplete                      warning   summary is not all of the judgement paragraphs
inspection.evidence_empty               error     an inspection's evidence is blank
inspection.evidence_not_in_text         error     an inspection's evidence is not in the letter
inspection.outside_summary              warning   ... is in the letter but not in the summary
inspection.date_not_in_evidence         error     the date's month and year are not in the evidence
inspection.kind_mismatch                error     the evidence (or, for "the previous inspection of
                                                  these arrangements", the nearest sentence before
                                                  it) names another kind by the kind rule of
                                                  eval/LABELLING.md
inspection.kind_unstated                warning   neither evidence nor what precedes it names kind
inspection.outcome_mismatch             error     the evidence or the (up to 2) sentences after it
                                                  state another outcome
inspection.outcome_missing              error     outcome is null but those sentences state one
inspection.outcome_not_stated           warning   outcome not said in evidence or 2 next sentences
inspection.duplicate                    error     same date and kind listed twice
inspection.unlisted                     error     a summary sentence dates an inspection and names
                                                  its kind, and no item covers it
inspection.unlisted_unnamed             warning   a summary sentence dates an inspection that names
                                                  no kind ("was inspected in May 2010", "the joint
                                                  area review"), and no item covers it
======================================  ========  ==================================================

Readers of the text, reusable elsewhere: `read_verdict`, `read_bullets`, `read_heading`,
`read_performance`, `read_letter_date`, `read_summary` (validators.reading); `read_addressee` and
`read_sign_off` (validators.parties); `kind_named` and `outcomes_stated` (validators.inspections).
"""

from __future__ import annotations

from ofsted_extractor.schema import Issue, Letter, Status
from ofsted_extractor.validators.counts import (
    check_count_evidence,
    check_count_judgement,
    check_count_numbers,
    check_count_roles,
)
from ofsted_extractor.validators.findings import (
    check_finding_duplicates,
    check_finding_lists,
    check_finding_order,
    check_finding_texts,
    check_findings_accounted,
)
from ofsted_extractor.validators.grade import (
    check_grade_label,
    check_grade_present,
    check_grade_summary,
    check_grade_verdict,
)
from ofsted_extractor.validators.inspections import (
    check_inspection_date,
    check_inspection_duplicates,
    check_inspection_evidence,
    check_inspection_kind,
    check_inspection_outcome,
    check_inspections_listed,
)
from ofsted_extractor.validators.inventory_counts import check_counts_recorded
from ofsted_extractor.validators.issues import Check
from ofsted_extractor.validators.layout import ORIGINAL_CHECKS
from ofsted_extractor.validators.parties import (
    check_assessment_year,
    check_authority,
    check_letter_date,
    check_recipient,
    check_signatory,
)
from ofsted_extractor.validators.reading import (
    read_bullets,
    read_heading,
    read_letter_date,
    read_list_sections,
    read_performance,
    read_summary,
    read_verdict,
)
from ofsted_extractor.validators.summary import check_summary

#: Every check, in the order `validate` runs them (and so the order of its issues).
CHECKS: list[Check] = [
    check_grade_present,
    check_grade_label,
    check_grade_verdict,
    check_grade_summary,
    check_authority,
    check_assessment_year,
    check_letter_date,
    check_recipient,
    check_signatory,
    check_summary,
    check_finding_lists,
    check_findings_accounted,
    check_finding_texts,
    check_finding_order,
    check_finding_duplicates,
    check_count_evidence,
    check_count_numbers,
    check_count_judgement,
    check_count_roles,
    check_counts_recorded,
    check_inspection_evidence,
    check_inspection_date,
    check_inspection_kind,
    check_inspection_outcome,
    check_inspection_duplicates,
    check_inspections_listed,
]

#: The checks by function name, for running one on its own.
CHECKS_BY_NAME: dict[str, Check] = {check.__name__: check for check in CHECKS}

__all__ = [
    "CHECKS",
    "CHECKS_BY_NAME",
    "Check",
    "read_bullets",
    "read_heading",
    "read_letter_date",
    "read_list_sections",
    "read_performance",
    "read_summary",
    "read_verdict",
    "status_for",
    "validate",
]


def validate(text: str, letter: Letter, original: str | None = None) -> list[Issue]:
    """Run every check; `text` is the normalised letter text. Returns all issues, errors and
    warnings, in CHECKS order; an empty list means the text confirms everything it can.

    With `original` (the file's text as read, before normalising) the checks of
    validators.layout also run on it: they count the bullets by the conversion's own cues, so
    a wrong inference of the loader cannot pass unseen."""
    issues = [issue for check in CHECKS for issue in check(text, letter)]
    if original is not None:
        issues += [issue for check in ORIGINAL_CHECKS for issue in check(original, letter)]
    return issues


def status_for(issues: list[Issue]) -> Status:
    """'flagged' if any issue is an error, else 'passed'."""
    return "flagged" if any(i.severity == "error" for i in issues) else "passed"
