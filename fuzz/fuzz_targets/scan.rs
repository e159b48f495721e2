#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lims_fuzz::entry::scan(data));
