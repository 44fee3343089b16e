#!/usr/bin/perl
# mkmmdb.pl - writes a small MaxMind DB (MMDB) file from a JSON table, for
# davy's GeoIP/ASN tests (tests/geo_test.py). Needs MaxMind::DB::Writer::Tree
# (Debian: libmaxmind-db-writer-perl); JSON::PP is in core perl.
#
# Usage: perl tests/lib/mkmmdb.pl city|country|asn TABLE.json OUT.mmdb
#   TABLE.json: a file, or - for standard input. A JSON list of objects:
#     city:    {"net": "8.8.8.0/24", "country": "US", "city": "Mountain View"}
#     country: {"net": "8.8.8.0/24", "country": "US"}
#     asn:     {"net": "8.8.8.0/24", "asn": 15169, "org": "GOOGLE"}
#   Any data field may be absent ("net" may not). "net" is a CIDR network,
#   IPv4 or IPv6; a bare address is taken as /32 or /128.
#
# The files have the layout of the real GeoLite2 ones, so the same reader
# code serves both:
#   city:    database_type GeoLite2-City, record_size 28,
#            {country => {iso_code}, city => {names => {en}}}
#   country: database_type GeoLite2-Country, record_size 24, {country => {iso_code}}
#   asn:     database_type GeoLite2-ASN, record_size 24,
#            {autonomous_system_number (uint32), autonomous_system_organization}
# All are ip_version 6 with IPv4 in ::/96 and ::ffff:0:0/96, 2001::/32
# (Teredo) and 2002::/16 (6to4) aliased to it (alias_ipv6_to_ipv4), so IPv4
# and IPv6 lookups both work, as with the real files.
#
# Reserved networks (RFC 1918, documentation ranges, ...) are NOT dropped
# (remove_reserved_networks => 0; the writer drops them silently by default):
# the tests put them in the tables on purpose, so that a sensor that forgets
# to skip them shows it. Rows are inserted most general first (shortest
# prefix first), so a more specific row wins where two overlap.
#
# Exit status: 0 written; 2 bad usage or a bad table (message on stderr).
use strict;
use warnings;

use JSON::PP ();
use MaxMind::DB::Writer::Tree ();

sub fail { print STDERR "mkmmdb: @_\n"; exit 2; }

my ($kind, $table, $out) = @ARGV;
fail("usage: mkmmdb.pl city|country|asn TABLE.json|- OUT.mmdb")
    unless @ARGV == 3 && $kind =~ /^(?:city|country|asn)$/;

# The type of every map key the files use (libmaxminddb reads them by type:
# a uint32 written as a double or a string would not be an ASN any more).
my %types = (
    country                        => 'map',
    iso_code                       => 'utf8_string',
    city                           => 'map',
    names                          => 'map',
    en                             => 'utf8_string',
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);
my $type_of = sub {
    my $key = shift;
    return $types{$key} // die "mkmmdb: no type for map key '$key'\n";
};

my %layout = (
    city    => { type => 'GeoLite2-City',    record_size => 28 },
    country => { type => 'GeoLite2-Country', record_size => 24 },
    asn     => { type => 'GeoLite2-ASN',     record_size => 24 },
);

my $json;
{
    local $/;
    if ($table eq '-') {
        binmode STDIN;
        $json = <STDIN>;
    } else {
        open my $fh, '<:raw', $table or fail("$table: $!");
        $json = <$fh>;
        close $fh;
    }
}
my $rows = eval { JSON::PP->new->utf8->decode($json // '') };
fail("$table: not JSON: $@") unless defined $rows;
fail("$table: not a JSON list of objects") unless ref $rows eq 'ARRAY';

my @todo;
for my $i (0 .. $#$rows) {
    my $r = $rows->[$i];
    fail("$table: row $i is not an object") unless ref $r eq 'HASH';
    my $net = $r->{net} // fail("$table: row $i has no \"net\"");
    my ($addr, $len) = split m{/}, $net, 2;
    my $v6 = $addr =~ /:/;
    $len //= $v6 ? 128 : 32;
    fail("$table: row $i: bad network '$net'")
        unless $len =~ /^\d+$/ && $len <= ($v6 ? 128 : 32);
    # IPv4 rows go to ::a.b.c.d/(96+len) in the IPv6 tree: the writer does
    # that itself for IPv4 notation; the prefix length sorts the same way.
    my $bits = $v6 ? $len : 96 + $len;

    my %d;
    if ($kind eq 'asn') {
        for my $k (keys %$r) {
            fail("$table: row $i: unknown field '$k' for asn")
                unless $k =~ /^(?:net|asn|org)$/;
        }
        if (defined $r->{asn}) {
            fail("$table: row $i: asn must be an integer 0..4294967295")
                unless $r->{asn} =~ /^\d+$/ && $r->{asn} <= 4294967295;
            $d{autonomous_system_number} = 0 + $r->{asn};
        }
        $d{autonomous_system_organization} = "$r->{org}" if defined $r->{org};
    } else {
        for my $k (keys %$r) {
            fail("$table: row $i: unknown field '$k' for $kind")
                unless $k =~ /^(?:net|country)$/ || ($kind eq 'city' && $k eq 'city');
        }
        $d{country} = { iso_code => "$r->{country}" } if defined $r->{country};
        $d{city} = { names => { en => "$r->{city}" } } if defined $r->{city};
    }
    push @todo, [ $bits, $i, "$addr/$len", \%d ];    # the writer wants the /len
}

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => $layout{$kind}{record_size},
    database_type            => $layout{$kind}{type},
    languages                => ['en'],
    description              => { en => "davy test $layout{$kind}{type} database" },
    map_key_type_callback    => $type_of,
    alias_ipv6_to_ipv4       => 1,
    remove_reserved_networks => 0,
    merge_strategy           => 'none',
);
for my $t (sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @todo) {
    my (undef, $i, $net, $d) = @$t;
    eval { $tree->insert_network($net, $d); 1 }
        or fail("$table: row $i ($net): $@");
}

open my $fh, '>:raw', $out or fail("$out: $!");
eval { $tree->write_tree($fh); 1 } or do { unlink $out; fail("$out: $@") };
close $fh or do { unlink $out; fail("$out: $!") };
exit 0;
