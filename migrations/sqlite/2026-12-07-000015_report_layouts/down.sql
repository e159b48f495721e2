ALTER TABLE reports DROP COLUMN layout_version;
DROP TRIGGER report_layouts_no_delete;
DROP TRIGGER report_layouts_no_update;
DROP TABLE report_layouts;
DROP TABLE report_layout_images;
