package bench

import "github.com/housecall/housecall/devserver"

// setPostgres makes the embedded server persist on PostgreSQL (databases
// url and url_visibility, created and dropped by the bench).
func setPostgres(o *devserver.Options, url string) { o.PostgresURL = url }
