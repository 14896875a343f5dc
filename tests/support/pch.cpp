// Empty: this target exists to own a precompiled header that test targets reuse.
