"""What a program can change without touching code: settings, billing rules, outcome definitions.

  settings     run-time settings from the environment (store path, time zone, memory limit)
  rules        billing rules and fee schedules (rulesets/, fee_schedules/): effective-dated data
  definitions  outcome and caseload measure definitions (definitions.yaml)

Every file here is data a person can read and override; the modules check it and refuse a
mistake in one line naming the file and the key.
"""
