-- FHIR R4 resources of a `fhir` source, flattened for a profile to map (profiles/sources.py
-- replaces {source} with the source's name). Reads the table {source}(_file, _line, resource,
-- full_url) and makes these tables:
--
--   {source}_patients  one row per Patient: id, birth_date, gender, race, ethnicity,
--                      general_practitioner, managing_organization, deceased
--   {source}_coverage  one row per Coverage: patient, payer, period_start, period_end, status,
--                      coverage_order (R4 Coverage.order: 1 the primary, 2 the secondary, ...)
--   {source}_stays     one row per Encounter: id, status, patient, period_start, period_end (R4
--                      period, R5 actualPeriod), stay_type (inpatient, observation or NULL: its
--                      class, a Coding in R4, a list in R5)
--   {source}_answers   one row per coded value of an Observation (its value, each component)
--                      or a QuestionnaireResponse (each item's first answer, items nested at
--                      any depth): group_id (the administration: 'Observation/<panel or own id>'
--                      or 'QuestionnaireResponse/<id>'), patient, effective, code, value, resource_type
--   {source}_scored    one row per patient in the program (a score in this export): patient,
--                      first_score (when the first was taken); read by the profile's expressions,
--                      as is the macro {source}_in_program(patient) (a stay's or a claim's patient)
--   {source}_providers one row per Practitioner, PractitionerRole or Organization with an NPI: ref
--                      ('Practitioner/<id>'), full_url, npi
--   {source}_claim_lines one row per item of an ExplanationOfBenefit or a Claim (see below): claim_id,
--                      sequence, patient, resource_type, id, status, outcome, use, claim_type, answered,
--                      superseded, secondary, service_date, procedure_code, other_codes, modifiers, units,
--                      billing_npi, rendering_npi, payer, charge, paid (this payer's), paid_total
--                      (every payer's), item_denied, payer_denied (within the claim, or the claim's
--                      outcome error), denial_reason (the payer's reasons for a line payer_denied)
--   {source}_consents  one row per Consent that counts as the patient's consent to treatment (see
--                      below): id, patient, date_written, consent_day, date_problem
--   {source}_conditions one row per ICD-10-CM code of a Condition (see below): id, patient, code,
--                      date_written (onsetDateTime, else onsetPeriod.start, else recordedDate, as
--                      written), date_field (which of these), clinical_status, verification_status;
--                      a Condition with no ICD-10-CM code (SNOMED CT alone) is one row with code NULL
--
-- Only these fields are read: names, addresses, telecom and identifiers of a Patient never
-- leave this file, and `_record` (what the quarantine shows) holds only the fields above.
-- Items are found by code (a LOINC coding, a linkId that is a LOINC code, or the code after
-- '#' in an item's definition), never by position. An Observation listed in a panel's
-- hasMember belongs to the panel's administration (group_id = the panel's id).

CREATE OR REPLACE TEMP MACRO fhir_loinc(concept) AS
  coalesce(
    list_filter(CAST(json_extract(concept, '$.coding') AS JSON[]), lambda c: (c ->> 'system') LIKE '%loinc.org%')[1] ->> 'code',
    CAST(json_extract(concept, '$.coding') AS JSON[])[1] ->> 'code');

-- The number a coded answer carries (ordinalValue / itemWeight extensions), if any.
CREATE OR REPLACE TEMP MACRO fhir_ordinal(coding) AS
  list_filter(CAST(json_extract(coding, '$.extension') AS JSON[]),
              lambda x: (x ->> 'url') LIKE '%ordinalValue' OR (x ->> 'url') LIKE '%itemWeight' OR (x ->> 'url') LIKE '%iso21090-CO-value')[1]
    ->> 'valueDecimal';

-- The value of an element holding value[x]: a number, an answer's weight, an answer code, or text.
CREATE OR REPLACE TEMP MACRO fhir_value(v) AS
  coalesce(v ->> 'valueInteger', v ->> 'valueDecimal', json_extract_string(v, '$.valueQuantity.value'),
           fhir_ordinal(json_extract(v, '$.valueCoding')), fhir_ordinal(json_extract(v, '$.valueCodeableConcept.coding[0]')),
           json_extract_string(v, '$.valueCoding.code'), fhir_loinc(json_extract(v, '$.valueCodeableConcept')),
           v ->> 'valueString', json_extract_string(v, '$.valueCodeableConcept.text'),
           json_extract_string(v, '$.valueCoding.display'));

-- The text of a US Core race or ethnicity extension ('text', else the first OMB category).
CREATE OR REPLACE TEMP MACRO fhir_us_core(resource, name) AS (
  WITH ext AS (SELECT list_filter(CAST(json_extract(resource, '$.extension') AS JSON[]), lambda x: (x ->> 'url') LIKE '%' || name)[1] AS e)
  SELECT coalesce(
    list_filter(CAST(json_extract(e, '$.extension') AS JSON[]), lambda x: (x ->> 'url') = 'text')[1] ->> 'valueString',
    list_filter(CAST(json_extract(e, '$.extension') AS JSON[]), lambda x: (x ->> 'url') = 'ombCategory')[1] ->> '$.valueCoding.display')
  FROM ext);

-- FHIR's date and dateTime may be partial: a year (2025) or a month (2025-03). The precision a
-- value is written with: 'day' (a date, or a dateTime with its time), 'month', 'year', else NULL
-- (not a date: deceasedBoolean's 'true'). A profile column calls these, so a rule on partial dates
-- (fhir.yaml: a death's month or year is the discharge on its last day) is written once.
CREATE OR REPLACE TEMP MACRO fhir_date_precision(x) AS
  CASE WHEN regexp_matches(x, '^[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN 'day'
       WHEN regexp_full_match(x, '[0-9]{4}-(0[1-9]|1[0-2])') THEN 'month'
       WHEN regexp_full_match(x, '[0-9]{4}') THEN 'year' END;

-- The last day a FHIR date or dateTime can mean, as YYYY-MM-DD: the day written (a dateTime's own
-- day, its offset kept), else the last day of the month or year written; NULL when not a date.
CREATE OR REPLACE TEMP MACRO fhir_last_day(x) AS
  CASE fhir_date_precision(x) WHEN 'day' THEN left(x, 10)
       WHEN 'month' THEN strftime(last_day(CAST(x || '-01' AS DATE)), '%Y-%m-%d')
       WHEN 'year' THEN x || '-12-31' END;

-- The first day a FHIR date or dateTime can mean, as YYYY-MM-DD (a coverage period's start written
-- as a month or a year covers it from its first day); NULL when not a date.
CREATE OR REPLACE TEMP MACRO fhir_first_day(x) AS
  CASE fhir_date_precision(x) WHEN 'day' THEN left(x, 10) WHEN 'month' THEN x || '-01' WHEN 'year' THEN x || '-01-01' END;

CREATE OR REPLACE TEMP MACRO fhir_reference_id(ref, kind) AS
  coalesce(nullif(regexp_extract(ref, '(^|/)' || kind || '/([^/]+)', 2), ''), regexp_replace(ref, '^urn:uuid:', ''));

CREATE OR REPLACE TABLE {source}_patients AS
SELECT _file, _line,
       resource ->> 'id' AS id,
       resource ->> 'birthDate' AS birth_date,
       resource ->> 'gender' AS gender,
       fhir_us_core(resource, 'us-core-race') AS race,
       fhir_us_core(resource, 'us-core-ethnicity') AS ethnicity,
       json_extract_string(resource, '$.generalPractitioner[0].reference') AS general_practitioner,
       json_extract_string(resource, '$.managingOrganization.reference') AS managing_organization,
       coalesce(resource ->> 'deceasedDateTime', resource ->> 'deceasedBoolean') AS deceased,
       CAST(json_object('resourceType', 'Patient', 'id', resource ->> 'id', 'birthDate', resource ->> 'birthDate',
                        'gender', resource ->> 'gender') AS VARCHAR) AS _record
FROM {source} WHERE resource ->> 'resourceType' = 'Patient';

CREATE OR REPLACE TEMP TABLE _fhir_patient_urls AS
SELECT full_url, resource ->> 'id' AS id FROM {source}
WHERE resource ->> 'resourceType' = 'Patient' AND full_url IS NOT NULL;

-- Coverage: whose, which payer (the payor's name, else the coverage type's text), when, and in which
-- order (1 the primary).
CREATE OR REPLACE TABLE {source}_coverage AS
SELECT c._file, c._line,
       coalesce(u.id, fhir_reference_id(json_extract_string(c.resource, '$.beneficiary.reference'), 'Patient')) AS patient,
       coalesce(json_extract_string(c.resource, '$.payor[0].display'), json_extract_string(c.resource, '$.type.text'),
                json_extract_string(c.resource, '$.type.coding[0].display')) AS payer,
       json_extract_string(c.resource, '$.period.start') AS period_start, json_extract_string(c.resource, '$.period.end') AS period_end,
       c.resource ->> 'status' AS status, TRY_CAST(c.resource ->> 'order' AS INTEGER) AS coverage_order,
       CAST(json_object('resourceType', 'Coverage', 'id', c.resource ->> 'id', 'beneficiary', json_extract_string(c.resource, '$.beneficiary.reference'),
                        'payor', json_extract_string(c.resource, '$.payor[0].display'), 'period', json_extract(c.resource, '$.period'),
                        'order', c.resource -> 'order') AS VARCHAR) AS _record
FROM {source} c LEFT JOIN _fhir_patient_urls u ON u.full_url = json_extract_string(c.resource, '$.beneficiary.reference')
WHERE c.resource ->> 'resourceType' = 'Coverage' AND coalesce(c.resource ->> 'status', '') NOT IN ('cancelled', 'entered-in-error');

-- Encounters, each with the stay it is when it is one: time logged while a patient is
-- inpatient or in observation does not count toward care-management minutes (billing_rules.md
-- s3). Class IMP, ACUTE or NONAC is an inpatient stay, OBSENC an observation stay; emergency,
-- ambulatory, virtual and home encounters are none (stay_type NULL). The profile's `where`
-- picks the stays, so every Encounter left out is counted under one reason.
CREATE OR REPLACE TABLE {source}_stays AS
WITH e AS (
  SELECT e._file, e._line, e.resource ->> 'id' AS id, e.resource ->> 'status' AS status,
         coalesce(u.id, fhir_reference_id(json_extract_string(e.resource, '$.subject.reference'), 'Patient')) AS patient,
         upper(coalesce(json_extract_string(e.resource, '$.class.code'), json_extract_string(e.resource, '$.class[0].coding[0].code'))) AS class_code,
         coalesce(json_extract_string(e.resource, '$.period.start'), json_extract_string(e.resource, '$.actualPeriod.start')) AS period_start,
         coalesce(json_extract_string(e.resource, '$.period.end'), json_extract_string(e.resource, '$.actualPeriod.end')) AS period_end
  FROM {source} e LEFT JOIN _fhir_patient_urls u ON u.full_url = json_extract_string(e.resource, '$.subject.reference')
  WHERE e.resource ->> 'resourceType' = 'Encounter')
SELECT _file, _line, id, status, patient, period_start, period_end,
       CASE WHEN class_code = 'OBSENC' THEN 'observation' WHEN class_code IN ('IMP', 'ACUTE', 'NONAC') THEN 'inpatient' END AS stay_type,
       CAST(json_object('resourceType', 'Encounter', 'id', id, 'status', status, 'class', class_code,
                        'period', json_object('start', period_start, 'end', period_end)) AS VARCHAR) AS _record
FROM e;

CREATE OR REPLACE TEMP TABLE _fhir_scored AS
SELECT _file, _line, full_url, resource ->> 'resourceType' AS resource_type, resource ->> 'id' AS id, resource AS r,
       json_extract_string(resource, '$.subject.reference') AS subject,
       nullif(regexp_extract(list_filter(CAST(json_extract(resource, '$.derivedFrom') AS JSON[]),
                                         lambda d: (d ->> 'reference') LIKE '%QuestionnaireResponse/%')[1] ->> 'reference',
                             'QuestionnaireResponse/([^/]+)', 1), '') AS derived_from,
       CASE WHEN resource ->> 'resourceType' = 'Observation'
            THEN coalesce(resource ->> 'effectiveDateTime', json_extract_string(resource, '$.effectivePeriod.start'),
                          resource ->> 'effectiveInstant', resource ->> 'issued')
            ELSE resource ->> 'authored' END AS effective
FROM {source}
WHERE resource ->> 'resourceType' IN ('Observation', 'QuestionnaireResponse')
  AND coalesce(resource ->> 'status', '') NOT IN ('entered-in-error', 'cancelled', 'stopped');

-- Observations listed in a panel's hasMember: the panel is their administration. An
-- Observation derived from a QuestionnaireResponse (US Core writes both) belongs to that
-- response, so a score exported both ways is one administration, not two.
CREATE OR REPLACE TEMP TABLE _fhir_panel_of AS
SELECT DISTINCT ON (o._file, o._line) o._file, o._line, p.id AS panel_id
FROM _fhir_scored p, json_each(p.r, '$.hasMember') m, _fhir_scored o
WHERE p.resource_type = 'Observation' AND o.resource_type = 'Observation'
  AND ((m.value ->> 'reference') = 'Observation/' || o.id OR (m.value ->> 'reference') = o.full_url
       OR (m.value ->> 'reference') LIKE '%/Observation/' || o.id);

CREATE OR REPLACE TEMP TABLE _fhir_values AS
-- an Observation's own code and value (a panel's own row has no value: it names the instrument)
SELECT s._file, s._line, coalesce('Observation/' || p.panel_id, 'QuestionnaireResponse/' || s.derived_from, 'Observation/' || s.id) AS group_id, s.subject, s.effective, s.resource_type, s.id,
       fhir_loinc(json_extract(s.r, '$.code')) AS code, fhir_value(s.r) AS value
FROM _fhir_scored s LEFT JOIN _fhir_panel_of p USING (_file, _line)
WHERE s.resource_type = 'Observation'
UNION ALL
-- each component of an Observation
SELECT s._file, s._line, coalesce('Observation/' || p.panel_id, 'QuestionnaireResponse/' || s.derived_from, 'Observation/' || s.id), s.subject, s.effective, s.resource_type, s.id,
       fhir_loinc(json_extract(c.value, '$.code')), fhir_value(c.value)
FROM _fhir_scored s LEFT JOIN _fhir_panel_of p USING (_file, _line), json_each(s.r, '$.component') c
WHERE s.resource_type = 'Observation'
UNION ALL
-- each item of a QuestionnaireResponse, at any depth: its first answer
SELECT s._file, s._line, 'QuestionnaireResponse/' || s.id, s.subject, s.effective, s.resource_type, s.id,
       CASE WHEN regexp_full_match(regexp_replace(i.value ->> 'linkId', '^.*/', ''), '[0-9]{1,7}-[0-9]')
            THEN regexp_replace(i.value ->> 'linkId', '^.*/', '')
            ELSE nullif(regexp_extract(i.value ->> 'definition', '#([0-9]{1,7}-[0-9])$', 1), '') END,
       fhir_value(json_extract(i.value, '$.answer[0]'))
FROM _fhir_scored s, unnest(CAST(json_extract(s.r, '$..item') AS JSON[])) AS level(items), json_each(level.items) i
WHERE s.resource_type = 'QuestionnaireResponse'
UNION ALL
-- the questionnaire itself, when its canonical URL ends in a LOINC panel code (names the instrument)
SELECT s._file, s._line, 'QuestionnaireResponse/' || s.id, s.subject, s.effective, s.resource_type, s.id,
       nullif(regexp_extract(s.r ->> 'questionnaire', '([0-9]{1,7}-[0-9])(\|.*)?$', 1), ''), NULL
FROM _fhir_scored s
WHERE s.resource_type = 'QuestionnaireResponse';

CREATE OR REPLACE TABLE {source}_answers AS
SELECT v._file, v._line, v.group_id,
       coalesce(u.id, fhir_reference_id(v.subject, 'Patient')) AS patient,
       v.effective, v.code, v.value, v.resource_type,
       CAST(json_object('resourceType', v.resource_type, 'id', v.id, 'subject', v.subject, 'effective', v.effective,
                        'code', v.code, 'value', v.value) AS VARCHAR) AS _record
FROM _fhir_values v LEFT JOIN _fhir_patient_urls u ON u.full_url = v.subject
WHERE v.code IS NOT NULL;

-- Who is in the program. FHIR has no enrolment: a patient is in the program when this export holds
-- a score of theirs (helpers.sql score_code), enrolled on the day of the first. fhir.yaml picks the patients, the
-- stays and the claims it loads by this table, so the rule is written here once.
CREATE OR REPLACE TABLE {source}_scored AS
SELECT a.patient, min(a.effective) AS first_score
FROM {source}_answers a
WHERE score_code(a.code) AND a.patient IS NOT NULL
GROUP BY a.patient;

-- A stay or a claim line is of a patient in the program when this export scores the patient, or
-- does not hold the patient at all: an export of encounters or claims alone, for patients an earlier
-- export enrolled (the loader finds them in the store, or holds the rows waiting for them). A
-- patient the export holds and never scores is not in the program: their stays and claims are left
-- out, counted.
CREATE OR REPLACE TEMP MACRO {source}_in_program(p) AS
  p IN (SELECT patient FROM {source}_scored) OR NOT EXISTS (SELECT 1 FROM {source}_patients x WHERE x.id = p);

-- Claims. An ExplanationOfBenefit is a claim as the payer adjudicated it (payer, amounts, outcome);
-- a Claim is one as the provider submitted it. Each item is a claim line. Its claim is the Claim the
-- ExplanationOfBenefit names (claim.reference: 'Claim/clm-1'), else the ExplanationOfBenefit itself,
-- so a Claim loaded as submitted from one export is the same claim line, replaced, when a later
-- export brings its ExplanationOfBenefit. A Claim that an ExplanationOfBenefit of this export names is
-- `answered`; of several ExplanationOfBenefits of one payer naming one claim, all but the latest
-- (created) are `superseded`; of a line several payers adjudicated (primary and secondary), the
-- lines of all but the primary's are `secondary`: the profile's `where` leaves these out, counted.

-- A coding system's URL as compared: lower-cased, without its scheme or a closing slash.
CREATE OR REPLACE TEMP MACRO fhir_system(s) AS regexp_replace(lower(trim(s)), '^https?://|/$', '', 'g');

-- A CPT or HCPCS coding system (as CARIN Blue Button and US Core write it; their OIDs too).
CREATE OR REPLACE TEMP MACRO fhir_cpt_system(s) AS
  fhir_system(s) IN ('www.ama-assn.org/go/cpt', 'www.cms.gov/medicare/coding/hcpcsreleasecodesets')
  OR trim(s) IN ('urn:oid:2.16.840.1.113883.6.12', 'urn:oid:2.16.840.1.113883.6.285');

-- The codings of a CodeableConcept (NULL when it has none).
CREATE OR REPLACE TEMP MACRO fhir_codings(concept) AS CAST(json_extract(concept, '$.coding') AS JSON[]);

-- Whether a concept has a coding whose code is one of `codes` (a care-team role, an adjudication category).
CREATE OR REPLACE TEMP MACRO fhir_has_code(concept, codes) AS
  len(list_filter(fhir_codings(concept), lambda c: list_contains(codes, lower(c ->> 'code')))) > 0;

-- The NPI a Reference carries itself: its identifier (system us-npi), or a conditional reference
-- (Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1234567893, as Synthea writes them).
CREATE OR REPLACE TEMP MACRO fhir_own_npi(ref) AS
  coalesce(CASE WHEN json_extract_string(ref, '$.identifier.system') = 'http://hl7.org/fhir/sid/us-npi'
                THEN json_extract_string(ref, '$.identifier.value') END,
           nullif(regexp_extract(json_extract_string(ref, '$.reference'), 'identifier=http://hl7.org/fhir/sid/us-npi\|([0-9]+)', 1), ''));

-- The NPI of each Practitioner, PractitionerRole and Organization of the export that has one
-- (only that identifier is read: no name, address or other identifier).
CREATE OR REPLACE TABLE {source}_providers AS
WITH p AS (
  SELECT _file, _line, full_url, (resource ->> 'resourceType') || '/' || (resource ->> 'id') AS ref,
         list_filter(CAST(json_extract(resource, '$.identifier') AS JSON[]), lambda i: (i ->> 'system') = 'http://hl7.org/fhir/sid/us-npi')[1] ->> 'value' AS npi
  FROM {source} WHERE resource ->> 'resourceType' IN ('Practitioner', 'PractitionerRole', 'Organization'))
SELECT _file, _line, ref, full_url, npi, CAST(json_object('reference', ref, 'npi', npi) AS VARCHAR) AS _record
FROM p WHERE npi IS NOT NULL;

-- Whether a Reference's text points at a resource of the export: its 'Type/id' (`ref`), written
-- relative or absolute (https://ehr.example.org/fhir/Practitioner/p1), or its bundle `full_url`.
CREATE OR REPLACE TEMP MACRO fhir_refers_to(reference, ref, full_url) AS
  reference IN (ref, full_url) OR ends_with(reference, '/' || ref);

-- The NPI of a Reference to a provider: its own (fhir_own_npi), else that of the Practitioner,
-- PractitionerRole or Organization of the export it points at.
CREATE OR REPLACE TEMP MACRO fhir_provider_npi(provider) AS
  coalesce(fhir_own_npi(provider),
           (SELECT n.npi FROM {source}_providers n
            WHERE fhir_refers_to(json_extract_string(provider, '$.reference'), n.ref, n.full_url) LIMIT 1));

-- The Coverages of the export, with their order (R4 Coverage.order: 1 is the primary coverage).
CREATE OR REPLACE TEMP TABLE _fhir_coverage_order AS
SELECT 'Coverage/' || (resource ->> 'id') AS ref, full_url, TRY_CAST(resource ->> 'order' AS INTEGER) AS coverage_order
FROM {source} WHERE resource ->> 'resourceType' = 'Coverage';

-- Each ExplanationOfBenefit or Claim with its claim, provider and payer. `payer_key` is who adjudicated
-- it (the insurer's reference, identifier or name): of one payer's several ExplanationOfBenefits for a
-- claim (reprocessed) all but the latest are `superseded`. `payer_rank` orders the payers of a claim
-- (coordination of benefits): the order of the Coverage its focal insurance names when the export holds
-- it, else the position of the focal insurance in its insurance list (a payer adjudicating as secondary
-- lists the primary's coverage first); {source}_claim_lines picks the primary payer's line with it.
CREATE OR REPLACE TEMP TABLE _fhir_claims AS
WITH c AS (
  SELECT c._file, c._line, c.resource ->> 'resourceType' AS resource_type, c.resource ->> 'id' AS id, c.resource AS r,
         coalesce(u.id, fhir_reference_id(json_extract_string(c.resource, '$.patient.reference'), 'Patient')) AS patient,
         CASE WHEN c.resource ->> 'resourceType' = 'ExplanationOfBenefit'
              THEN fhir_reference_id(json_extract_string(c.resource, '$.claim.reference'), 'Claim') END AS claim_named,
         CAST(json_extract(c.resource, '$.insurance') AS JSON[]) AS insurance
  FROM {source} c LEFT JOIN _fhir_patient_urls u ON u.full_url = json_extract_string(c.resource, '$.patient.reference')
  WHERE c.resource ->> 'resourceType' IN ('ExplanationOfBenefit', 'Claim')),
named AS (
  SELECT c.*, CASE WHEN resource_type = 'Claim' THEN 'Claim/' || id WHEN claim_named IS NOT NULL THEN 'Claim/' || claim_named
                   ELSE 'ExplanationOfBenefit/' || id END AS claim_id,
         coalesce(json_extract_string(r, '$.insurer.display'),
                  list_filter(insurance, lambda i: (i ->> 'focal') = 'true' AND json_extract_string(i, '$.coverage.display') IS NOT NULL)[1]
                    -> 'coverage' ->> 'display',
                  list_filter(insurance, lambda i: json_extract_string(i, '$.coverage.display') IS NOT NULL)[1] -> 'coverage' ->> 'display') AS payer,
         list_position(list_transform(insurance, lambda i: (i ->> 'focal') = 'true'), true) AS focal_position,
         json_extract_string(list_filter(insurance, lambda i: (i ->> 'focal') = 'true')[1], '$.coverage.reference') AS focal_coverage
  FROM c),
payers AS (
  SELECT n.*,
         coalesce(json_extract_string(r, '$.insurer.reference'), json_extract_string(r, '$.insurer.identifier.value'), lower(payer)) AS payer_key,
         coalesce((SELECT o.coverage_order FROM _fhir_coverage_order o
                   WHERE fhir_refers_to(n.focal_coverage, o.ref, o.full_url) LIMIT 1),
                  focal_position) AS payer_rank
  FROM named n)
SELECT c.* EXCLUDE (insurance, focal_coverage, focal_position),
       resource_type = 'Claim' AND id IN (SELECT claim_named FROM c WHERE claim_named IS NOT NULL) AS answered,
       resource_type = 'ExplanationOfBenefit'
         AND row_number() OVER (PARTITION BY resource_type, claim_id, payer_key ORDER BY r ->> 'created' DESC NULLS LAST, _file DESC, _line DESC) > 1 AS superseded,
       min(r ->> 'created') OVER (PARTITION BY resource_type, claim_id, payer_key) AS payer_first_created,
       fhir_provider_npi(json_extract(r, '$.provider')) AS billing_npi
FROM payers c;

-- The care team's rendering members: role performing (CARIN Blue Button 1) or rendering (2), with their NPI.
CREATE OR REPLACE TEMP TABLE _fhir_rendering AS
SELECT c._file, c._line, CAST(m.value ->> 'sequence' AS INTEGER) AS sequence,
       fhir_provider_npi(json_extract(m.value, '$.provider')) AS npi
FROM _fhir_claims c, json_each(c.r, '$.careTeam') m
WHERE fhir_has_code(json_extract(m.value, '$.role'), ['performing', 'rendering']);

-- Whether the payer denied an item (given a claim, the claim at its header-level `adjudication`): an adjudication of category denialreason (CARIN Blue Button's
-- C4BBAdjudicationDiscriminator slice, its reason a CARC code), or one whose category or reason is the
-- payer adjudication status denied (C4BBPayerAdjudicationStatus). An amount of 0 alone is no denial: a
-- line the patient's deductible took whole is allowed and pays nothing.
CREATE OR REPLACE TEMP MACRO fhir_item_denied(item) AS
  len(list_filter(CAST(json_extract(item, '$.adjudication') AS JSON[]), lambda a:
        fhir_has_code(json_extract(a, '$.category'), ['denialreason'])
        OR len(list_filter(list_concat(coalesce(fhir_codings(json_extract(a, '$.category')), []),
                                       coalesce(fhir_codings(json_extract(a, '$.reason')), [])),
                           lambda c: ends_with(c ->> 'system', '/C4BBPayerAdjudicationStatus') AND (c ->> 'code') = 'denied')) > 0)) > 0;

-- The payer's reasons for a denial in a list of adjudications (an item's, or the claim's header-level
-- `adjudication`), as a person reads them: each reason coding's code, with its display after a colon
-- ('16: Claim/service lacks information or has submission/billing error(s)'), distinct, joined with
-- '; '; NULL when there are none. Read are the reason of an adjudication of category denialreason
-- (CARIN Blue Button: a CARC code; any coding, else the reason's text) and a CARC coding (system
-- https://x12.org/codes/claim-adjustment-reason-codes) as the reason of any other adjudication; the
-- payer adjudication status (C4BBPayerAdjudicationStatus denied) says that a line was denied, not why.
CREATE OR REPLACE TEMP MACRO fhir_carc_system(s) AS
  fhir_system(s) = 'x12.org/codes/claim-adjustment-reason-codes';
CREATE OR REPLACE TEMP MACRO fhir_reason_text(coding) AS
  (coding ->> 'code') || coalesce(': ' || nullif(trim(coding ->> 'display'), ''), '');
CREATE OR REPLACE TEMP MACRO fhir_denial_reasons(adjudications) AS
  nullif(array_to_string(list_sort(list_distinct(flatten(list_transform(coalesce(adjudications, []), lambda a:
    CASE WHEN fhir_has_code(json_extract(a, '$.category'), ['denialreason'])
         THEN coalesce(nullif(list_transform(list_filter(coalesce(fhir_codings(json_extract(a, '$.reason')), []), lambda c:
                                               (c ->> 'code') IS NOT NULL AND NOT ends_with(coalesce(c ->> 'system', ''), '/C4BBPayerAdjudicationStatus')),
                                             lambda c: fhir_reason_text(c)), []),
                       [nullif(trim(json_extract_string(a, '$.reason.text')), '')])
         ELSE list_transform(list_filter(coalesce(fhir_codings(json_extract(a, '$.reason')), []), lambda c:
                               fhir_carc_system(c ->> 'system') AND (c ->> 'code') IS NOT NULL),
                             lambda c: fhir_reason_text(c)) END)))), '; '), '');

-- A line several payers adjudicated (primary, secondary: each one's latest ExplanationOfBenefit for the
-- claim) is the line of the primary payer's: `secondary` marks the others' (the profile leaves them out,
-- counted). The primary is the payer whose ExplanationOfBenefit is not cancelled or entered in error, then
-- of lowest payer_rank, then the first to adjudicate the claim (a secondary payer adjudicates after the
-- primary). `paid_total` is what each of those payers paid on the line, added up.
CREATE OR REPLACE TABLE {source}_claim_lines AS
WITH i AS (
  SELECT c.*, CAST(i.value ->> 'sequence' AS INTEGER) AS sequence, i.value AS item,
         fhir_codings(json_extract(i.value, '$.productOrService')) AS codings
  FROM _fhir_claims c, json_each(c.r, '$.item') i),
l AS (
SELECT i._file, i._line, i.claim_id, i.sequence, i.patient, i.resource_type, i.id,
       i.r ->> 'status' AS status, i.r ->> 'outcome' AS outcome, i.r ->> 'use' AS use,
       lower(json_extract_string(i.r, '$.type.coding[0].code')) AS claim_type, i.answered, i.superseded,
       coalesce(i.item ->> 'servicedDate', json_extract_string(i.item, '$.servicedPeriod.start'),
                json_extract_string(i.r, '$.billablePeriod.start')) AS service_date,
       list_filter(i.codings, lambda c: fhir_cpt_system(c ->> 'system'))[1] ->> 'code' AS procedure_code,
       -- what the item is coded as instead, for the reason of a line with no CPT or HCPCS code
       coalesce(nullif(array_to_string(list_transform(i.codings, lambda c: concat_ws(' ', c ->> 'system', c ->> 'code')
                                                             || coalesce(' (' || (c ->> 'display') || ')', '')), ', '), ''),
                '''' || json_extract_string(i.item, '$.productOrService.text') || '''') AS other_codes,
       array_to_string(list_transform(CAST(json_extract(i.item, '$.modifier') AS JSON[]), lambda m: fhir_codings(m)[1] ->> 'code'), ' ') AS modifiers,
       json_extract_string(i.item, '$.quantity.value') AS units,
       i.billing_npi,
       coalesce((SELECT t.npi FROM _fhir_rendering t WHERE t._file = i._file AND t._line = i._line
                   AND list_contains(CAST(json_extract(i.item, '$.careTeamSequence') AS INTEGER[]), t.sequence) ORDER BY t.sequence LIMIT 1),
                (SELECT t.npi FROM _fhir_rendering t WHERE t._file = i._file AND t._line = i._line ORDER BY t.sequence LIMIT 1)) AS rendering_npi,
       i.payer,
       coalesce(json_extract_string(i.item, '$.net.value'),
                CAST(CAST(json_extract_string(i.item, '$.unitPrice.value') AS DECIMAL(18, 2))
                     * coalesce(TRY_CAST(json_extract_string(i.item, '$.quantity.value') AS DECIMAL(18, 4)), 1) AS VARCHAR)) AS charge,
       -- the payer's benefit (CARIN: paidtoprovider), else an amount categorised as paid
       (SELECT a.value -> 'amount' ->> 'value' FROM json_each(i.item, '$.adjudication') a
        WHERE fhir_has_code(json_extract(a.value, '$.category'), ['benefit', 'paidtoprovider', 'paid'])
        ORDER BY list_position(['benefit', 'paidtoprovider', 'paid'], lower(fhir_codings(json_extract(a.value, '$.category'))[1] ->> 'code')) LIMIT 1) AS paid,
       CAST(json_object('resourceType', i.resource_type, 'id', i.id, 'item', i.sequence,
                        'patient', json_extract_string(i.r, '$.patient.reference'), 'claim', json_extract_string(i.r, '$.claim.reference'),
                        'status', i.r ->> 'status', 'outcome', i.r ->> 'outcome', 'productOrService', i.codings,
                        'servicedDate', coalesce(i.item ->> 'servicedDate', json_extract_string(i.item, '$.servicedPeriod.start'))) AS VARCHAR) AS _record,
       fhir_item_denied(i.item) AS item_denied,
       fhir_item_denied(i.r) AS header_denied,
       -- the payer's reasons, read for a line it denied (in the item's adjudication, else in the claim's
       -- header-level one)
       coalesce(fhir_denial_reasons(CAST(json_extract(i.item, '$.adjudication') AS JSON[])),
                fhir_denial_reasons(CAST(json_extract(i.r, '$.adjudication') AS JSON[]))) AS reasons,
       i.payer_rank, i.payer_first_created,
       coalesce(i.r ->> 'status', '') IN ('cancelled', 'entered-in-error') AS voided
FROM i),
p AS (
  SELECT l.*,
         -- the payer denied the line: within the claim; or the whole claim (outcome error); or at the
         -- claim's header (CARIN's institutional EOBs carry a header-level denialreason under outcome
         -- complete) a line the payer paid nothing on itself; the profile's claim_status reads it, after
         -- a cancelled, draft or not adjudicated claim
         item_denied OR outcome = 'error' OR (header_denied AND NOT coalesce(TRY_CAST(paid AS DECIMAL(18, 2)) > 0, false)) AS payer_denied,
         CASE WHEN payer_denied THEN reasons END AS denial_reason,
         resource_type = 'ExplanationOfBenefit' AND NOT superseded
           AND row_number() OVER (PARTITION BY resource_type, claim_id, sequence, superseded
                                  ORDER BY voided, payer_rank NULLS LAST, payer_first_created NULLS LAST, _file, _line) > 1 AS secondary,
         coalesce(CAST(sum(TRY_CAST(paid AS DECIMAL(18, 2))) FILTER (WHERE NOT superseded AND NOT voided)
                         OVER (PARTITION BY resource_type, claim_id, sequence) AS VARCHAR), paid) AS paid_total
  FROM l)
SELECT * EXCLUDE (payer_rank, payer_first_created, voided, header_denied, reasons) FROM p;

-- Consents. CoCM minutes count only from the patient's consent (billing_rules.md s4). A Consent
-- counts when it is active (R4 consent-state-codes: 'to be followed and enforced'), is a consent to
-- treatment (R4 scope treatment, or no scope given: R5 has none) and does not deny (R4
-- provision.type, R5 decision). Rejected, draft and proposed Consents were never agreed, and one
-- entered in error is void. An inactive one ('terminated or replaced') does not count either: a
-- patient has one consent date and no end to it, so a consent that ended would count every minute
-- after its end. Others are left out of this table, so the load counts them as Consents left out.
-- Its day is provision.period.start (when the consent applies from), else dateTime (when it was
-- recorded), as written; a month or a year only is its last day, so no minute before the consent
-- counts. `date_problem` says what a person should know of a Consent whose day was not written.
CREATE OR REPLACE TABLE {source}_consents AS
WITH c AS (
  SELECT c._file, c._line, c.resource ->> 'id' AS id, c.resource ->> 'status' AS status,
         coalesce(u.id, fhir_reference_id(json_extract_string(c.resource, '$.patient.reference'), 'Patient')) AS patient,
         json_extract(c.resource, '$.scope') AS scope,
         coalesce(json_extract_string(c.resource, '$.provision.type'), json_extract_string(c.resource, '$.decision')) AS provision_type,
         json_extract_string(c.resource, '$.provision.period.start') AS period_start, c.resource ->> 'dateTime' AS date_time
  FROM {source} c LEFT JOIN _fhir_patient_urls u ON u.full_url = json_extract_string(c.resource, '$.patient.reference')
  WHERE c.resource ->> 'resourceType' = 'Consent'),
d AS (
  SELECT c.*, coalesce(period_start, date_time) AS date_written,
         CASE WHEN period_start IS NOT NULL THEN 'provision.period.start' ELSE 'dateTime' END AS date_field
  FROM c
  WHERE status = 'active' AND (scope IS NULL OR fhir_has_code(scope, ['treatment'])) AND coalesce(provision_type, '') <> 'deny')
SELECT _file, _line, id, patient, date_written, fhir_last_day(date_written) AS consent_day,
       CASE WHEN date_written IS NULL
            THEN 'Consent/' || id || ' (active, treatment) gives no date (provision.period.start or dateTime)'
            WHEN fhir_date_precision(date_written) IS NULL
            THEN 'Consent/' || id || ' ' || date_field || ' ''' || date_written || ''' is not a FHIR date (2025, 2025-03 or 2025-03-14)'
            WHEN fhir_date_precision(date_written) IN ('month', 'year')
            THEN 'Consent/' || id || ' ' || date_field || ' ''' || date_written || ''' gives only the ' || fhir_date_precision(date_written)
                 || ': consent_date is its last day, ' || fhir_last_day(date_written) || ', so no minute logged before the consent counts' END AS date_problem,
       CAST(json_object('resourceType', 'Consent', 'id', id, 'status', status, 'patient', patient, 'provisionType', provision_type,
                        'periodStart', period_start, 'dateTime', date_time) AS VARCHAR) AS _record
FROM d;

-- Conditions: the diagnoses HEDIS DRR-E and CMS159 read for their exclusions (bipolar, personality,
-- psychotic, pervasive developmental disorder), by ICD-10-CM code prefix (definitions
-- diagnosis_exclusions). A code is that of a coding of Condition.code whose system is ICD-10-CM
-- (http://hl7.org/fhir/sid/icd-10-cm, its OID urn:oid:2.16.840.1.113883.6.90) or ICD-10
-- (http://hl7.org/fhir/sid/icd-10: the same codes to the category); a code written twice (both
-- systems, with and without the dot) is one row. A Condition with none (SNOMED CT alone) is one row
-- with code NULL, which the profile leaves out, counted. Its date is onsetDateTime, else onsetPeriod.start, else recordedDate
-- (R4), as written; onsetAge, onsetRange and onsetString are not read. Statuses are the code of the
-- first coding of clinicalStatus and verificationStatus. Only codings are read: the code's text, the
-- notes, evidence and stage never leave this file.
CREATE OR REPLACE TEMP MACRO fhir_icd10_system(s) AS
  fhir_system(s) IN ('hl7.org/fhir/sid/icd-10-cm', 'hl7.org/fhir/sid/icd-10')
  OR trim(s) = 'urn:oid:2.16.840.1.113883.6.90';

CREATE OR REPLACE TABLE {source}_conditions AS
WITH c AS (
  SELECT c._file, c._line, c.resource ->> 'id' AS id, json_extract_string(c.resource, '$.subject.reference') AS subject,
         coalesce(u.id, fhir_reference_id(json_extract_string(c.resource, '$.subject.reference'), 'Patient')) AS patient,
         coalesce(fhir_codings(json_extract(c.resource, '$.code')), []) AS codings,
         c.resource ->> 'onsetDateTime' AS onset, json_extract_string(c.resource, '$.onsetPeriod.start') AS onset_start,
         c.resource ->> 'recordedDate' AS recorded,
         lower(json_extract_string(c.resource, '$.clinicalStatus.coding[0].code')) AS clinical_status,
         lower(json_extract_string(c.resource, '$.verificationStatus.coding[0].code')) AS verification_status
  FROM {source} c LEFT JOIN _fhir_patient_urls u ON u.full_url = json_extract_string(c.resource, '$.subject.reference')
  WHERE c.resource ->> 'resourceType' = 'Condition'),
d AS (
  SELECT c.*,
         list_transform(list_filter(codings, lambda x: fhir_icd10_system(x ->> 'system') AND nullif(trim(x ->> 'code'), '') IS NOT NULL),
                        lambda x: trim(x ->> 'code')) AS icd_codes,
         coalesce(onset, onset_start, recorded) AS date_written,
         CASE WHEN onset IS NOT NULL THEN 'onsetDateTime' WHEN onset_start IS NOT NULL THEN 'onsetPeriod.start'
              WHEN recorded IS NOT NULL THEN 'recordedDate' END AS date_field,
         CAST(json_object('resourceType', 'Condition', 'id', id, 'subject', subject,
                          'code', to_json(list_transform(codings, lambda x: json_object('system', x ->> 'system', 'code', x ->> 'code',
                                                                                        'display', x ->> 'display'))),
                          'onsetDateTime', onset, 'onsetPeriodStart', onset_start, 'recordedDate', recorded,
                          'clinicalStatus', clinical_status, 'verificationStatus', verification_status) AS VARCHAR) AS _record
  FROM c),
coded AS (
  SELECT d.*, unnest(CASE WHEN len(icd_codes) > 0 THEN icd_codes ELSE [NULL] END) AS code,
         generate_subscripts(CASE WHEN len(icd_codes) > 0 THEN icd_codes ELSE [NULL] END, 1) AS position
  FROM d)
SELECT _file, _line, id, patient, code, date_written, date_field, clinical_status, verification_status, _record
FROM coded
QUALIFY row_number() OVER (PARTITION BY _file, _line, id, upper(replace(code, '.', '')) ORDER BY position) = 1;

DROP TABLE _fhir_claims;
DROP TABLE _fhir_coverage_order;
DROP TABLE _fhir_rendering;
DROP TABLE _fhir_patient_urls;
DROP TABLE _fhir_scored;
DROP TABLE _fhir_panel_of;
DROP TABLE _fhir_values;
