-- The national sampling form's fields (docs/domain/rules.md §c.3) that intake did not
-- hold: on samples the quantities, standard, producer's licence, the vocabularies'
-- keys (packaging, sample_form, sample_source, sampling_method, area_type), the unit
-- price and the drug and cosmetic fields; on entities the legal representative and
-- the annual sales. All optional: NULL when not given.
ALTER TABLE samples ADD COLUMN base_quantity TEXT;
ALTER TABLE samples ADD COLUMN standard TEXT;
ALTER TABLE samples ADD COLUMN manufacturer_licence_no TEXT;
ALTER TABLE samples ADD COLUMN packaging TEXT;
ALTER TABLE samples ADD COLUMN sample_form TEXT;
ALTER TABLE samples ADD COLUMN sample_attribute TEXT;
ALTER TABLE samples ADD COLUMN sample_source TEXT;
ALTER TABLE samples ADD COLUMN sampling_method TEXT;
ALTER TABLE samples ADD COLUMN unit_price TEXT;
ALTER TABLE samples ADD COLUMN area_type TEXT;
ALTER TABLE samples ADD COLUMN approval_no TEXT;
ALTER TABLE samples ADD COLUMN expiry_date DATE;
ALTER TABLE samples ADD COLUMN mah TEXT;
ALTER TABLE samples ADD COLUMN dosage_form TEXT;
ALTER TABLE entities ADD COLUMN legal_rep TEXT;
ALTER TABLE entities ADD COLUMN annual_sales TEXT;
