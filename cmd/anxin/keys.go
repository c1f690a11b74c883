package main

import (
	"context"
	"fmt"
	"os"

	"anxin"
	"anxin/sqlstore"
)

func runKeys(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "revoke") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Println("Usage: anxin keys create --role ROLE [--name N] | keys list | keys revoke ID   [--data DIR | --db DSN]")
			return nil
		}
		fmt.Fprintln(os.Stderr, "Usage: anxin keys create --role ROLE [--name N] | keys list | keys revoke ID   [--data DIR | --db DSN]")
		return errUsage
	}
	sub := args[0]
	var f dbFlags
	fs := newFlagSet("keys "+sub, "keys "+sub+" [flags]", `
Manage API keys. "create" prints a new key once (only its hash is stored).
Roles: platform, operator, reviewer, care, finance, privacy, auditor, quality,
admin, merchant:<id>, rightsholder:<id>. Run locally with the database
credentials, this may create every role; over the API only an admin key may
create platform, finance, privacy, admin, merchant and rights-holder keys, and
other keys only keys no more powerful than themselves. Every creation and
revocation is appended to the privacy audit log (the KEK is needed for that).`)
	f.register(fs)
	kekFile := fs.String("kek", "", "KEK `file` (default DIR/vault.kek; ANXIN_VAULT_KEK overrides)")
	role := fs.String("role", "", "role of the new key")
	name := fs.String("name", "", "a name for the new key")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	_, db, err := openVaultService(ctx, &f, *kekFile)
	if err != nil {
		return err
	}
	defer db.Close()
	ks := sqlstore.NewKeyService(db)
	switch sub {
	case "create":
		key, actor, err := ks.CreateKey(ctx, *name, anxin.Role(*role))
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "created key %s (role %s); it is shown only now:\n", actor.KeyID, actor.Role)
		fmt.Println(key)
	case "list":
		keys, err := ks.FindKeys(ctx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			fmt.Printf("%s\t%s\t%s\n", k.KeyID, k.Role, k.Name)
		}
	case "revoke":
		if fs.NArg() != 1 {
			return anxin.Errorf(anxin.Invalid, "keys revoke needs exactly one key id.")
		}
		if err := ks.RevokeKey(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Println("revoked", fs.Arg(0))
	}
	return nil
}
