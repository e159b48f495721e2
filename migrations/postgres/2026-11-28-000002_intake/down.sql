DROP TABLE sample_samplers;
DROP TABLE samples;
DROP TABLE sample_sequences;
DROP TABLE entities;
DROP TABLE plans;
