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
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        username -> Text,
        at -> Timestamp,
        success -> Bool,
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

diesel::allow_tables_to_appear_in_same_query!(
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
    audit_log,
);
