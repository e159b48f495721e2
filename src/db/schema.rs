//! Diesel table definitions shared by both backends: one schema for the SQLite and
//! the PostgreSQL migration trees, which must keep the same columns and types.

diesel::table! {
    regions (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        population -> Nullable<BigInt>,
        population_year -> Nullable<Integer>,
        population_source -> Nullable<Text>,
        version -> Integer,
    }
}

diesel::table! {
    region_populations (region_code, year) {
        region_code -> Text,
        year -> Integer,
        population -> BigInt,
        source -> Text,
    }
}

diesel::table! {
    holidays (day) {
        day -> Date,
        kind -> Text,
        name -> Text,
    }
}

diesel::table! {
    calendar_years (year) {
        year -> Integer,
        source -> Text,
        loaded_at -> Timestamp,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        parent_code -> Nullable<Text>,
        domain -> Text,
        level -> Text,
        verification -> Text,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    test_items (id) {
        id -> BigInt,
        category_code -> Text,
        name -> Text,
        method_standard -> Text,
        judgment_standard -> Text,
        limit_kind -> Text,
        limit_min -> Nullable<Text>,
        limit_max -> Nullable<Text>,
        unit -> Text,
        lod -> Nullable<Text>,
        micro_n -> Nullable<Integer>,
        micro_c -> Nullable<Integer>,
        verification -> Text,
        note -> Nullable<Text>,
        active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rule_profiles (id) {
        id -> BigInt,
        domain -> Text,
        plan_kind -> Text,
        rules -> Text,
        version -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        roles -> Text,
        region_code -> Nullable<Text>,
        active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        kind -> Text,
        last_used_at -> Nullable<Timestamp>,
        client -> Nullable<Text>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        username -> Text,
        at -> Timestamp,
        success -> Bool,
        client -> Text,
        pending -> Bool,
    }
}

diesel::table! {
    rate_counts (bucket, window_start) {
        bucket -> Text,
        window_start -> BigInt,
        hits -> Integer,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        actor -> Text,
        action -> Text,
        entity_kind -> Text,
        entity_id -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        reason -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(test_items -> categories (category_code));
diesel::joinable!(users -> regions (region_code));

diesel::table! {
    plans (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        year -> Integer,
        level -> Text,
        kind -> Text,
        domain -> Text,
        region_code -> Text,
        target_batches -> Integer,
        starts_on -> Nullable<Date>,
        ends_on -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    entities (id) {
        id -> BigInt,
        name -> Text,
        uscc -> Text,
        license_no -> Nullable<Text>,
        kind -> Text,
        address -> Text,
        region_code -> Text,
        contact -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        legal_rep -> Nullable<Text>,
        annual_sales -> Nullable<Text>,
    }
}

diesel::table! {
    /// Batches per local month, county, plan, domain, stage and conclusion; kept by
    /// triggers on `samples` (migration 000008). Read by the statistics.
    sample_counts (month, region_code, plan_id, domain, stage, conclusion) {
        month -> Text,
        region_code -> Text,
        plan_id -> BigInt,
        domain -> Text,
        stage -> Text,
        conclusion -> Text,
        batches -> BigInt,
    }
}

diesel::table! {
    /// Batches, concluded and non-compliant batches per local month of sampling, county,
    /// domain and top-level category, of plans other than risk monitoring; kept by
    /// triggers on `samples` and `plans` (migration 000009).
    category_counts (month, region_code, domain, category) {
        month -> Text,
        region_code -> Text,
        domain -> Text,
        category -> Text,
        batches -> BigInt,
        concluded -> BigInt,
        non_compliant -> BigInt,
    }
}

diesel::table! {
    /// Reports per local month of issue, county, domain, turnaround in working days
    /// (and whether provisional) and whether on time; kept by triggers on `samples`
    /// (migration 000009).
    report_counts (month, region_code, domain, turnaround_days, provisional, on_time) {
        month -> Text,
        region_code -> Text,
        domain -> Text,
        turnaround_days -> BigInt,
        provisional -> Bool,
        on_time -> Bool,
        reports -> BigInt,
    }
}

diesel::table! {
    /// Samples per local month of receipt, county, domain and whether late; kept by
    /// triggers on `samples` (migration 000009).
    receipt_counts (month, region_code, domain, late) {
        month -> Text,
        region_code -> Text,
        domain -> Text,
        late -> Bool,
        received -> BigInt,
    }
}

diesel::table! {
    sample_sequences (year, county_code) {
        year -> Integer,
        county_code -> Text,
        last_value -> Integer,
    }
}

diesel::table! {
    samples (id) {
        id -> BigInt,
        sample_no -> Text,
        plan_id -> BigInt,
        entity_id -> BigInt,
        domain -> Text,
        category_code -> Text,
        product_name -> Text,
        brand -> Nullable<Text>,
        specification -> Nullable<Text>,
        batch_no -> Nullable<Text>,
        production_date -> Nullable<Date>,
        shelf_life -> Nullable<Text>,
        manufacturer -> Nullable<Text>,
        manufacturer_address -> Nullable<Text>,
        stage -> Text,
        sampled_at -> Timestamp,
        place -> Nullable<Text>,
        quantity -> Text,
        unit -> Text,
        backup_quantity -> Nullable<Text>,
        storage -> Text,
        price -> Nullable<Text>,
        notes -> Nullable<Text>,
        status -> Text,
        conclusion -> Text,
        region_code -> Text,
        registered_by -> BigInt,
        registered_at -> Timestamp,
        delivery_due_on -> Nullable<Date>,
        delivery_due_provisional -> Bool,
        received_at -> Nullable<Timestamp>,
        received_by -> Nullable<BigInt>,
        seal_intact -> Nullable<Bool>,
        condition_ok -> Nullable<Bool>,
        receipt_note -> Nullable<Text>,
        reject_reason -> Nullable<Text>,
        delivered_late -> Nullable<Bool>,
        due_on -> Nullable<Date>,
        due_provisional -> Bool,
        reported_at -> Nullable<Timestamp>,
        report_no -> Nullable<Text>,
        version -> Integer,
        updated_at -> Timestamp,
        turnaround_days -> Nullable<BigInt>,
        turnaround_provisional -> Bool,
        /// The national sampling form's fields (migration 000014), all optional.
        base_quantity -> Nullable<Text>,
        standard -> Nullable<Text>,
        manufacturer_licence_no -> Nullable<Text>,
        packaging -> Nullable<Text>,
        sample_form -> Nullable<Text>,
        sample_attribute -> Nullable<Text>,
        sample_source -> Nullable<Text>,
        sampling_method -> Nullable<Text>,
        unit_price -> Nullable<Text>,
        area_type -> Nullable<Text>,
        approval_no -> Nullable<Text>,
        expiry_date -> Nullable<Date>,
        mah -> Nullable<Text>,
        dosage_form -> Nullable<Text>,
    }
}

diesel::table! {
    sample_samplers (sample_id, user_id) {
        sample_id -> BigInt,
        user_id -> BigInt,
        position -> Integer,
    }
}

diesel::joinable!(samples -> plans (plan_id));
diesel::joinable!(samples -> entities (entity_id));
diesel::joinable!(sample_samplers -> samples (sample_id));
diesel::joinable!(sample_samplers -> users (user_id));

diesel::table! {
    sample_tests (id) {
        id -> BigInt,
        sample_id -> BigInt,
        test_item_id -> BigInt,
        name -> Text,
        method_standard -> Text,
        judgment_standard -> Text,
        limit_kind -> Text,
        limit_min -> Nullable<Text>,
        limit_max -> Nullable<Text>,
        unit -> Text,
        lod -> Nullable<Text>,
        micro_n -> Nullable<Integer>,
        micro_c -> Nullable<Integer>,
        assignee_id -> Nullable<BigInt>,
        due_on -> Nullable<Date>,
        status -> Text,
        attempt -> Integer,
        result_text -> Nullable<Text>,
        result_value -> Nullable<Text>,
        result_unit -> Nullable<Text>,
        result_lod -> Nullable<Text>,
        judgment -> Nullable<Text>,
        entered_by -> Nullable<BigInt>,
        entered_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        review_note -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    test_attempts (id) {
        id -> BigInt,
        test_id -> BigInt,
        attempt -> Integer,
        result_text -> Text,
        result_value -> Nullable<Text>,
        result_unit -> Nullable<Text>,
        result_lod -> Nullable<Text>,
        judgment -> Nullable<Text>,
        entered_by -> BigInt,
        entered_at -> Timestamp,
        reviewed_by -> BigInt,
        reviewed_at -> Timestamp,
        decision -> Text,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    report_sequences (year) {
        year -> Integer,
        last_value -> Integer,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        report_no -> Text,
        sample_id -> BigInt,
        conclusion -> Text,
        issued_at -> Timestamp,
        signatory_id -> BigInt,
        status -> Text,
        supersedes -> Nullable<Text>,
        pdf_sha256 -> Nullable<Text>,
        version -> Integer,
        data -> Nullable<Text>,
        body_sha256 -> Nullable<Text>,
        superseded_by -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<BigInt>,
        revoke_reason -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        published_by -> Nullable<BigInt>,
        layout_version -> Nullable<Integer>,
    }
}

diesel::table! {
    report_files (report_id) {
        report_id -> BigInt,
        pdf -> Binary,
    }
}

diesel::table! {
    lab_profile (id) {
        id -> Integer,
        name -> Text,
        address -> Text,
        cma_no -> Text,
        contact -> Text,
        report_title -> Text,
        disclaimer -> Text,
        version -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    report_batches (id) {
        id -> BigInt,
        requested_by -> BigInt,
        format -> Text,
        report_nos -> Text,
        total -> Integer,
        done -> Integer,
        status -> Text,
        error -> Nullable<Text>,
        result -> Nullable<Binary>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    retentions (sample_id) {
        sample_id -> BigInt,
        place -> Text,
        keep_until -> Nullable<Date>,
        recorded_by -> BigInt,
        recorded_at -> Timestamp,
        discarded_at -> Nullable<Timestamp>,
        discarded_by -> Nullable<BigInt>,
        discard_reason -> Nullable<Text>,
        version -> Integer,
    }
}

diesel::table! {
    disposal_cases (id) {
        id -> BigInt,
        sample_id -> BigInt,
        report_no -> Text,
        kind -> Text,
        region_code -> Text,
        domain -> Text,
        plan_kind -> Text,
        plan_level -> Text,
        status -> Text,
        outcome -> Nullable<Text>,
        opened_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        due_on -> Nullable<Date>,
        extended_until -> Nullable<Date>,
        extension_requested_until -> Nullable<Date>,
        extension_reason -> Nullable<Text>,
        extension_requested_by -> Nullable<BigInt>,
        extension_approved_by -> Nullable<BigInt>,
        started_on -> Nullable<Date>,
        closed_on -> Nullable<Date>,
        public_info -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        published_by -> Nullable<BigInt>,
        version -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    disposal_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        kind -> Text,
        at -> Timestamp,
        upheld -> Nullable<Bool>,
        accepted -> Nullable<Bool>,
        recall_level -> Nullable<Integer>,
        note -> Nullable<Text>,
        recorded_by -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(sample_tests -> samples (sample_id));
diesel::joinable!(test_attempts -> sample_tests (test_id));
diesel::joinable!(reports -> samples (sample_id));
diesel::joinable!(retentions -> samples (sample_id));
diesel::joinable!(report_files -> reports (report_id));
diesel::joinable!(disposal_cases -> samples (sample_id));
diesel::table! {
    disposal_attachments (id) {
        id -> BigInt,
        case_id -> BigInt,
        event_id -> BigInt,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        content -> Binary,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    nominations (id) {
        id -> BigInt,
        tracking_code -> Text,
        product -> Text,
        place -> Text,
        region_code -> Nullable<Text>,
        reason -> Text,
        contact -> Nullable<Text>,
        status -> Text,
        plan_id -> Nullable<BigInt>,
        merged_into -> Nullable<BigInt>,
        decision_note -> Nullable<Text>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        supports -> Integer,
        submitted_at -> Timestamp,
        version -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    nomination_supports (nomination_id, device_hash) {
        nomination_id -> BigInt,
        device_hash -> Text,
        supported_at -> Timestamp,
    }
}

diesel::table! {
    nomination_samples (nomination_id, sample_id) {
        nomination_id -> BigInt,
        sample_id -> BigInt,
        linked_at -> Timestamp,
    }
}

diesel::table! {
    nomination_spam (nomination_id) {
        nomination_id -> BigInt,
        marked_by -> BigInt,
        marked_at -> Timestamp,
    }
}

diesel::table! {
    nomination_support_counts (nomination_id, client_hash, day) {
        nomination_id -> BigInt,
        client_hash -> Text,
        day -> Date,
        supports -> Integer,
    }
}

diesel::table! {
    screenings (id) {
        id -> BigInt,
        screening_no -> Text,
        item_name -> Text,
        item_source -> Text,
        region_code -> Text,
        received_by -> BigInt,
        received_at -> Timestamp,
        version -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    screening_results (id) {
        id -> BigInt,
        screening_id -> BigInt,
        test_name -> Text,
        method -> Text,
        result_text -> Text,
        verdict -> Text,
        recorded_by -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(disposal_events -> disposal_cases (case_id));
diesel::joinable!(disposal_attachments -> disposal_events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    sample_counts,
    category_counts,
    report_counts,
    receipt_counts,
    regions,
    region_populations,
    holidays,
    calendar_years,
    categories,
    test_items,
    rule_profiles,
    users,
    api_tokens,
    login_attempts,
    rate_counts,
    audit_log,
    plans,
    entities,
    sample_sequences,
    samples,
    sample_samplers,
    sample_tests,
    test_attempts,
    report_sequences,
    reports,
    report_files,
    lab_profile,
    report_batches,
    retentions,
    disposal_cases,
    disposal_events,
    disposal_attachments,
    nominations,
    nomination_supports,
    nomination_samples,
    nomination_spam,
    nomination_support_counts,
    screenings,
    screening_results,
    report_layout_images,
    report_layouts,
);

diesel::table! {
    report_layout_images (sha256) {
        sha256 -> Text,
        png -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    report_layouts (version) {
        version -> Integer,
        settings -> Text,
        logo_sha256 -> Nullable<Text>,
        cma_sha256 -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
    }
}
