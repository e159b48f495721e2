DROP TABLE screening_results;
DROP TABLE screenings;
DROP TABLE nomination_samples;
DROP TABLE nomination_supports;
DROP TABLE nominations;
