"""The DIS response as a linear form in the input moments, its channel form, the backends that
evaluate it and the cached kernel on disk."""
