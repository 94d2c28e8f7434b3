-- FHIR R4 resources of a `fhir` source, flattened for a profile to map (profiles/sources.py
-- replaces {source} with the source's name). Reads the table {source}(_file, _line, resource,
-- full_url) and makes two tables:
--
--   {source}_patients  one row per Patient: id, birth_date, gender, race, ethnicity,
--                      general_practitioner, managing_organization, deceased
--   {source}_coverage  one row per Coverage: patient, payer, period_start, period_end, status
--   {source}_stays     one row per Encounter: id, status, patient, period_start, period_end (R4
--                      period, R5 actualPeriod), stay_type (inpatient, observation or NULL: its
--                      class, a Coding in R4, a list in R5)
--   {source}_answers   one row per coded value of an Observation (its value, each component)
--                      or a QuestionnaireResponse (each item's first answer, items nested at
--                      any depth): group_id (the administration: 'Observation/<panel or own id>'
--                      or 'QuestionnaireResponse/<id>'), patient, effective, code, value, resource_type
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

-- Coverage: whose, which payer (the payor's name, else the coverage type's text), when.
CREATE OR REPLACE TABLE {source}_coverage AS
SELECT c._file, c._line,
       coalesce(u.id, fhir_reference_id(json_extract_string(c.resource, '$.beneficiary.reference'), 'Patient')) AS patient,
       coalesce(json_extract_string(c.resource, '$.payor[0].display'), json_extract_string(c.resource, '$.type.text'),
                json_extract_string(c.resource, '$.type.coding[0].display')) AS payer,
       json_extract_string(c.resource, '$.period.start') AS period_start, json_extract_string(c.resource, '$.period.end') AS period_end,
       c.resource ->> 'status' AS status,
       CAST(json_object('resourceType', 'Coverage', 'id', c.resource ->> 'id', 'beneficiary', json_extract_string(c.resource, '$.beneficiary.reference'),
                        'payor', json_extract_string(c.resource, '$.payor[0].display'), 'period', json_extract(c.resource, '$.period')) AS VARCHAR) AS _record
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

DROP TABLE _fhir_patient_urls;
DROP TABLE _fhir_scored;
DROP TABLE _fhir_panel_of;
DROP TABLE _fhir_values;
