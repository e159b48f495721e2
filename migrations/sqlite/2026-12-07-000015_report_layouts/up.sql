-- The lab's report layout as versions (docs/SPEC.md §5): every change an admin makes is a
-- new row, never updated or deleted; an issued report records the version it used. The
-- settings are one JSON document (`workflow::reports::layout::Layout`); the logo and the
-- CMA mark are PNG images stored once by their SHA-256 and named by the versions (sqlite).
CREATE TABLE report_layout_images (
    sha256 TEXT PRIMARY KEY NOT NULL,
    png BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE report_layouts (
    version INTEGER PRIMARY KEY NOT NULL CHECK (version >= 1),
    settings TEXT NOT NULL,
    logo_sha256 TEXT REFERENCES report_layout_images(sha256),
    cma_sha256 TEXT REFERENCES report_layout_images(sha256),
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES users(id)
);

CREATE TRIGGER report_layouts_no_update BEFORE UPDATE ON report_layouts
BEGIN
    SELECT RAISE(ABORT, 'report_layouts is append-only');
END;
CREATE TRIGGER report_layouts_no_delete BEFORE DELETE ON report_layouts
BEGIN
    SELECT RAISE(ABORT, 'report_layouts is append-only');
END;

-- The lab identity set before versions existed becomes version 1.
INSERT INTO report_layouts (version, settings, created_at)
SELECT 1,
       json_object('name', name, 'address', address, 'cma_no', cma_no,
                   'contact', contact, 'report_title', report_title,
                   'disclaimer', json(disclaimer)),
       updated_at
FROM lab_profile WHERE id = 1;

-- NULL: issued before versions existed, printed with version 1's look.
ALTER TABLE reports ADD COLUMN layout_version INTEGER;
