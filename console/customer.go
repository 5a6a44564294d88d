package console

// routeCustomer registers the customer pages (issue 11; being built).
func (c *Console) routeCustomer() {}
