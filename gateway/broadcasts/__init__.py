"""Staff broadcasts: who a selection reaches (scoped), the preview of a sending, the sending, and retries."""
