"""What a program can change without touching code: settings, billing rules, outcome definitions.

  settings     run-time settings from the environment (store path, time zone, memory limit)
  rules        billing rules (rulesets/): effective-dated data, typed and merged
  fees         fee schedules (fee_schedules/): expected payment per code, payer class and date
  definitions  outcome and caseload measure definitions (definitions.yaml)
  files        reading a config file, and refusing a mistake in one line

Every file here is data a person can read and override; each is a typed pydantic model that
refuses an unknown key (naming the nearest valid one) or a wrong value (saying what it must be)
in one line naming the file and the key. Rules and definitions carry a `digest` of their
content, so a build can tell whether they changed.
"""
