DROP TABLE nomination_samples;
DROP TABLE nomination_supports;
DROP TABLE nominations;
