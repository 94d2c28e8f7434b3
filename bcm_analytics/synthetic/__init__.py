"""A seeded synthetic collaborative-care program for demos and tests.

generate_program writes the canonical exports (clinics, patients, time_logs, assessments,
facility_stays) and an answer key of what was planted; write_claims bills the billing engine's expected lines,
with a known share of realistic billing mistakes, so reconciliation can be checked end to end.
"""

from bcm_analytics.synthetic.claims import write_claims
from bcm_analytics.synthetic.program import GenerationSummary, generate_program
from bcm_analytics.synthetic.vocab import PAYER_CLASSES

__all__ = ["GenerationSummary", "PAYER_CLASSES", "generate_program", "write_claims"]
