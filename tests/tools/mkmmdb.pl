#!/usr/bin/perl
# mkmmdb.pl - writes a small MaxMind DB (.mmdb) file for the tests, with
# Debian's libmaxmind-db-writer-perl.
#
#   mkmmdb.pl [-6] OUT ENTRY...
#
# ENTRY is NETWORK=DATA, inserted in the order given (insert wider
# networks first: a later network replaces what it covers):
#   1.2.3.0/24=FR        flat layout:    {"country_code": "FR"}
#   1.2.3.0/24=FR/EU     GeoIP2 layout:  {"country": {"iso_code": "FR"},
#                                         "continent": {"code": "EU"}}
#   1.2.3.0/24=-/EU      GeoIP2 layout without a country
#   1.2.3.0/24={"city": "Paris"}   any JSON object
# -6 writes an IPv6 tree (IPv4 networks go to ::a.b.c.d/96+len and are
# aliased as the real GeoIP2 files do); the default is an IPv4 tree.
use strict;
use warnings;
use JSON::PP ();
use MaxMind::DB::Writer::Tree;

my $ipv6 = 0;
if (@ARGV && $ARGV[0] eq '-6') { $ipv6 = 1; shift @ARGV; }
die "usage: mkmmdb.pl [-6] OUT NETWORK=DATA...\n" if @ARGV < 1;
my $out = shift @ARGV;

my (@entries, %types);
sub note_types {    # map key name -> MaxMind DB type, from the values seen
    my ($h) = @_;
    for my $k (keys %$h) {
        my $v = $h->{$k};
        if (ref $v eq 'HASH') { $types{$k} = 'map'; note_types($v); }
        elsif ($v =~ /^[0-9]+\z/) { $types{$k} = 'uint32'; }
        else { $types{$k} = 'utf8_string'; }
    }
}
for my $arg (@ARGV) {
    my ($net, $spec) = split /=/, $arg, 2;
    die "mkmmdb.pl: '$arg': want NETWORK=DATA\n" unless defined $spec;
    my $data;
    if ($spec =~ /^\{/) {
        $data = JSON::PP::decode_json($spec);
    } elsif ($spec =~ m{^([A-Za-z]{2}|-)/([A-Za-z]{2})\z}) {
        $data = {continent => {code => $2}};
        $data->{country} = {iso_code => $1} if $1 ne '-';
    } elsif ($spec =~ /^[A-Za-z]{2}\z/) {
        $data = {country_code => $spec};
    } else {
        die "mkmmdb.pl: '$spec': want CC, CC/CONT, -/CONT or a JSON object\n";
    }
    note_types($data);
    $net = "::$1/" . (96 + $2) if $ipv6 && $net =~ m{^([0-9.]+)/([0-9]+)\z};
    push @entries, [$net, $data];
}

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => $ipv6 ? 6 : 4,
    record_size              => 24,
    database_type            => 'fttools-test',
    languages                => ['en'],
    description              => {en => 'fttools test database'},
    remove_reserved_networks => 0,    # tests use documentation ranges
    alias_ipv6_to_ipv4       => $ipv6,
    map_key_type_callback    => sub { $types{$_[0]} // 'utf8_string' },
);
$tree->insert_network(@$_) for @entries;
open my $fh, '>:raw', $out or die "mkmmdb.pl: $out: $!\n";
$tree->write_tree($fh);
close $fh or die "mkmmdb.pl: $out: $!\n";
