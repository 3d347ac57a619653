# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pra_wal_global_optspecs
    string join \n v/verbose q/quiet h/help V/version
end

function __fish_pra_wal_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pra_wal_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pra_wal_using_subcommand
    set -l cmd (__fish_pra_wal_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pra-wal -n "__fish_pra_wal_needs_command" -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug). RUST_LOG overrides'
complete -c pra-wal -n "__fish_pra_wal_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c pra-wal -n "__fish_pra_wal_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-wal -n "__fish_pra_wal_needs_command" -s V -l version -d 'Print version'
complete -c pra-wal -n "__fish_pra_wal_needs_command" -f -a "push" -d 'Archive one WAL file (archive_command = \'pra-wal push … %p\')'
complete -c pra-wal -n "__fish_pra_wal_needs_command" -f -a "fetch" -d 'Restore one archived WAL file (restore_command = \'pra-wal fetch … %f %p\')'
complete -c pra-wal -n "__fish_pra_wal_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pra-wal -n "__fish_pra_wal_using_subcommand push" -l repo -d 'Backup repository: a path, file://, s3://bucket/prefix, az://container/prefix or gs://bucket/prefix (credentials from the providers\' variables: docs/STORAGE.md). Several values (or a comma-separated PRA_REPO): each is used, in the order given' -r
complete -c pra-wal -n "__fish_pra_wal_using_subcommand push" -l events -d 'Append a `wal` event (pra.v1 JSON line) per file to FILE; stdout belongs to PostgreSQL' -r -F
complete -c pra-wal -n "__fish_pra_wal_using_subcommand push" -l stanza -d 'Stanza: the name the cluster\'s backups and WAL are kept under.' -r
complete -c pra-wal -n "__fish_pra_wal_using_subcommand push" -l encrypt-to -d 'Encrypt the stored files to this public key: an age X25519 key (age1…) or an SSH public key (ssh-ed25519 or ssh-rsa). Repeatable (any one matching identity decrypts); the manifest records the keys\' fingerprints. The backup host needs no private key' -r
complete -c pra-wal -n "__fish_pra_wal_using_subcommand push" -l passphrase-file -d 'Encrypt the stored files with the passphrase on the first line of FILE (age\'s scrypt mode) instead of public keys. Whoever reads the file can read the backups' -r -F
complete -c pra-wal -n "__fish_pra_wal_using_subcommand push" -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug). RUST_LOG overrides'
complete -c pra-wal -n "__fish_pra_wal_using_subcommand push" -s q -l quiet -d 'Only errors on stderr'
complete -c pra-wal -n "__fish_pra_wal_using_subcommand push" -s h -l help -d 'Print help'
complete -c pra-wal -n "__fish_pra_wal_using_subcommand fetch" -l repo -d 'Backup repository: a path, file://, s3://bucket/prefix, az://container/prefix or gs://bucket/prefix (credentials from the providers\' variables: docs/STORAGE.md). Several values (or a comma-separated PRA_REPO): each is used, in the order given' -r
complete -c pra-wal -n "__fish_pra_wal_using_subcommand fetch" -l events -d 'Append a `wal` event (pra.v1 JSON line) per file to FILE; stdout belongs to PostgreSQL' -r -F
complete -c pra-wal -n "__fish_pra_wal_using_subcommand fetch" -l stanza -d 'Stanza: the name the cluster\'s backups and WAL are kept under.' -r
complete -c pra-wal -n "__fish_pra_wal_using_subcommand fetch" -l identity -d 'Identity file that opens encrypted backups: age identities (AGE-SECRET-KEY-1…, as age-keygen writes them) or an unencrypted SSH private key. Repeatable. Not needed for unencrypted backups' -r -F
complete -c pra-wal -n "__fish_pra_wal_using_subcommand fetch" -l passphrase-file -d 'Open backups encrypted with a passphrase (pra-backup --passphrase-file): the passphrase is the first line of FILE' -r -F
complete -c pra-wal -n "__fish_pra_wal_using_subcommand fetch" -l on-error -d 'What a failure other than "not archived" exits with: `fatal` 200, which stops PostgreSQL\'s archive recovery (the operator fixes the cause and starts the server again); `retry` 3, which a standby retries (in archive recovery PostgreSQL reads it as the end of the WAL and promotes); `auto`: `retry` when the current directory (the data directory, where PostgreSQL runs restore_command) holds standby.signal, else `fatal`' -r -f -a "auto\t'`retry` on a standby (standby.signal in the current directory), else `fatal`'
fatal\t'Exit 200: PostgreSQL stops recovery (FATAL) instead of ending it early'
retry\t'Exit 3: a standby retries the file (and streaming)'"
complete -c pra-wal -n "__fish_pra_wal_using_subcommand fetch" -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug). RUST_LOG overrides'
complete -c pra-wal -n "__fish_pra_wal_using_subcommand fetch" -s q -l quiet -d 'Only errors on stderr'
complete -c pra-wal -n "__fish_pra_wal_using_subcommand fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-wal -n "__fish_pra_wal_using_subcommand help; and not __fish_seen_subcommand_from push fetch help" -f -a "push" -d 'Archive one WAL file (archive_command = \'pra-wal push … %p\')'
complete -c pra-wal -n "__fish_pra_wal_using_subcommand help; and not __fish_seen_subcommand_from push fetch help" -f -a "fetch" -d 'Restore one archived WAL file (restore_command = \'pra-wal fetch … %f %p\')'
complete -c pra-wal -n "__fish_pra_wal_using_subcommand help; and not __fish_seen_subcommand_from push fetch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
