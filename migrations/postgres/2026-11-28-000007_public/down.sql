DROP TABLE screening_results;
DROP TABLE screenings;
