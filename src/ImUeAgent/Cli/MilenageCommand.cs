// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using ImUeAgent.Daemon;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Cli;

/// <summary>
/// `imue-agent milenage`: every Milenage output (TS 35.206) for given K, OP or OPc, RAND, SQN and AMF, so an engineer
/// can check a programmable test SIM or a core network's vectors by hand.
/// </summary>
internal static class MilenageCommand
{
    public static Command Create(TextWriter output)
    {
        var k = HexArgument.Create("--k", 16, "Subscriber key K");
        var op = HexArgument.Create("--op", 16, "Operator variant OP (OPc is derived from it)");
        var opc = HexArgument.Create("--opc", 16, "Derived operator variant OPc");
        var rand = HexArgument.Create("--rand", 16, "Random challenge RAND");
        var sqn = HexArgument.Create("--sqn", 6, "Sequence number SQN");
        var amf = HexArgument.Create("--amf", 2, "Authentication management field AMF");
        k.Required = rand.Required = sqn.Required = amf.Required = true;
        var json = new Option<bool>("--json") { Description = "Print one JSON object with lower-case hex values." };

        var command = new Command("milenage", """
            Compute OPc, f1 (MAC-A), f1* (MAC-S), f2 (RES), f3 (CK), f4 (IK), f5 (AK), f5* (AK for resync) and
            AUTN = (SQN xor AK) || AMF || MAC-A, per 3GPP TS 35.206. Give exactly one of --op and --opc. The output
            holds secrets (CK, IK): it is for test SIMs and lab cores, not for production keys.
            Example (TS 35.208 test set 1):
              imue-agent milenage --k 465b5ce8b199b49faa5f0a2ee238a6bc --op cdc202d5123e20f62b6d676ac72cb318 \
                --rand 23553cbe9637a89d218ae64dae47bf35 --sqn ff9bb4d0b607 --amf b9b9
            """)
        {
            k, op, opc, rand, sqn, amf, json,
        };
        command.Validators.Add(result =>
        {
            var hasOp = result.GetResult(op) is not null;
            var hasOpc = result.GetResult(opc) is not null;
            if (hasOp == hasOpc)
            {
                result.AddError("milenage: give exactly one of --op and --opc");
            }
        });
        command.SetAction(parse =>
        {
            var key = parse.GetValue(k)!;
            var opcValue = parse.GetValue(opc);
            var opValue = parse.GetValue(op);
            using var milenage = opcValue is { Length: > 0 } ? new Milenage(key, opcValue) : Milenage.FromOp(key, opValue!);
            CryptographicOperations.ZeroMemory(key);
            var result = milenage.ComputeAll(parse.GetValue(rand)!, parse.GetValue(sqn)!, parse.GetValue(amf)!);
            var fields = result.ToHexFields();
            if (parse.GetValue(json))
            {
                using var stream = new MemoryStream();
                using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    writer.WriteStartObject();
                    foreach (var (name, hex) in fields)
                    {
                        writer.WriteString(name, hex);
                    }

                    writer.WriteEndObject();
                }

                output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            }
            else
            {
                foreach (var (name, hex) in fields)
                {
                    output.WriteLine($"{name,-7} {hex}");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
