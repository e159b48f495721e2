ALTER TABLE reports DROP COLUMN layout_version;
DROP TRIGGER report_layouts_no_update ON report_layouts;
DROP FUNCTION report_layouts_append_only();
DROP TABLE report_layouts;
DROP TABLE report_layout_images;
