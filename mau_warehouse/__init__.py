"""mau-warehouse: exact Monthly Active Users, plan limits and overage per tenant."""
