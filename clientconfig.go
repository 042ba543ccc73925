package taskq

// Config returns the client's configuration with its defaults applied.
// Code that creates tasks the way the client does, outside of it (such as
// storage/postgres's TxEnqueuer, inside a database transaction), reads
// its Tracer there.
func (c *Client) Config() ClientConfig { return c.cfg }
