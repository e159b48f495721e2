DROP TABLE disposal_events;
DROP TABLE disposal_cases;
