DROP TABLE retentions;
DROP TABLE reports;
DROP TABLE report_sequences;
DROP TABLE test_attempts;
DROP TABLE sample_tests;
