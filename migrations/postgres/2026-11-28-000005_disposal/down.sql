DROP TABLE disposal_attachments;
DROP TABLE disposal_events;
DROP TABLE disposal_cases;
