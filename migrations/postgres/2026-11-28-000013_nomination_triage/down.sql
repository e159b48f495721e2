DROP INDEX nominations_region_id_idx;
DROP INDEX nomination_support_counts_day_idx;
DROP TABLE nomination_support_counts;
DROP TABLE nomination_spam;
